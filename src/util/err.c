/*
 * err.c -- names for the cf_err codes and the errno mapping.
 */
#include "util/err.h"

#include <errno.h>

const char *cf_err_str(int code)
{
    switch (code) {
    case CF_OK: return "OK";
    case CF_EIO: return "EIO";
    case CF_ENOSPC: return "ENOSPC";
    case CF_ENOMEM: return "ENOMEM";
    case CF_ECORRUPT: return "ECORRUPT";
    case CF_EINVAL: return "EINVAL";
    case CF_ELIMIT: return "ELIMIT";
    case CF_EAGAIN: return "EAGAIN";
    case CF_ENOTFOUND: return "ENOTFOUND";
    case CF_EEXIST: return "EEXIST";
    case CF_ECLOSED: return "ECLOSED";
    case CF_ENOTEMPTY: return "ENOTEMPTY";
    case CF_ECONFLICT: return "ECONFLICT";
    }
    return "EUNKNOWN";
}

int cf_err_from_errno(int errnum)
{
    switch (errnum) {
    case 0: return CF_OK;
    case ENOSPC:
    case EDQUOT: return CF_ENOSPC;
    case ENOMEM: return CF_ENOMEM;
    case ENOENT: return CF_ENOTFOUND;
    case EEXIST: return CF_EEXIST;
    case EINVAL: return CF_EINVAL;
    case EAGAIN: return CF_EAGAIN;
    default: return CF_EIO;
    }
}

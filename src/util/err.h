/*
 * err.h -- the one error enum of coffer.
 *
 * Fallible functions return int: 0 is success, a negative value is one of the
 * codes below. A positive value is allowed only where the function's comment
 * documents it (for example "bytes consumed"). Codes are stable: they are
 * compared, logged and mapped to S3 errors by the layers above.
 */
#ifndef CF_ERR_H
#define CF_ERR_H

enum cf_err {
    CF_OK = 0,
    CF_EIO = -1,       /* a read, write, fsync or rename failed; sticky in writers */
    CF_ENOSPC = -2,    /* the device is full */
    CF_ENOMEM = -3,    /* an allocation failed */
    CF_ECORRUPT = -4,  /* a checksum, magic or length check failed on stored bytes */
    CF_EINVAL = -5,    /* the caller broke a documented precondition */
    CF_ELIMIT = -6,    /* a configured limit would be exceeded */
    CF_EAGAIN = -7,    /* not enough input yet (parsers) or try again later */
    CF_ENOTFOUND = -8, /* the key, file or object does not exist */
    CF_EEXIST = -9,    /* the thing to create already exists */
    CF_ECLOSED = -10,  /* the object is shutting down and takes no new work */
    CF_ENOTEMPTY = -11, /* a container (bucket) still holds something */
    CF_ECONFLICT = -12, /* a precondition (if-match) does not hold */
};

/* cf_err_str -- a short constant name for code ("EIO", "ECORRUPT", ...). */
const char *cf_err_str(int code);

/* cf_err_from_errno -- maps an errno value to the closest cf_err code. */
int cf_err_from_errno(int errnum);

#endif

/*
 * http_date_fuzz.c -- libFuzzer target for http_date_parse and http_date.
 *
 * Checks: a parsed date lies in years 0000..9999 and, when it is from 1970
 * on, formatting it and parsing the result gives the same second back; a
 * rejected input leaves 0; formatting any 8-byte time yields a
 * NUL-terminated 29-character date that parses. Build and run: fuzz/run.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static void require(bool ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t t = 7, back;
    char out[30];
    int rc = http_date_parse(slice_make(data, size), &t);
    require(rc == 0 || (rc == CF_EINVAL && t == 0));
    if (rc == 0) {
        require(t >= -62167219200ll && t <= 253402300800ll); /* 0000-01-01 .. 10000-01-01 */
        if (t >= 0 && t <= 253402300799ll) {
            http_date(t, out);
            require(http_date_parse(slice_make(out, 29), &back) == 0 && back == t);
        }
    }
    if (size >= 8) {
        int64_t any;
        memcpy(&any, data, 8);
        memset(out, 'x', sizeof out);
        http_date(any, out);
        require(out[29] == '\0' && strlen(out) == 29);
        require(http_date_parse(slice_make(out, 29), &back) == 0);
    }
    return 0;
}

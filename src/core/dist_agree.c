/* dist_agree.c: the same thing on every rank (see dist_agree.h). */
#include "dist_agree.h"

#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "errors.h"

enum { HOST_BYTES = 64 };

/* What each rank sent, with its host for the message. */
typedef struct {
    uint64_t value;
    char host[HOST_BYTES];
} rank_value;

int dist_check_same(uint64_t value, const char *what)
{
    int size = dist_size();
    if (size == 1) return 0;
    rank_value mine = {value, ""}, *all = dn_calloc(size, sizeof *all);
    strncpy(mine.host, dist_host(), HOST_BYTES - 1);
    if (!all || dist_allgather(&mine, all, sizeof mine)) {
        free(all);
        return -1;
    }
    int rc = 0;
    for (int r = 1; r < size && !rc; ++r)
        if (all[r].value != all[0].value)
            rc = dn_error("%s differs between the ranks: rank 0 on %s and rank %d on %s do not hold the same", what,
                          all[0].host, r, all[r].host);
    free(all);
    return rc;
}

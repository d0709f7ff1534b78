/* weights.c: darknet's .weights format (little-endian).
 * Header: int32 major, minor, revision; then `seen` as uint64 when
 * major*10+minor >= 2, else uint32. Then each layer's stored tensors in order
 * (see l->stored). Saving goes through atomic_file.h, so a crash or a full
 * disk leaves the previous file intact. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "errors.h"
#include "network.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "weights I/O assumes a little-endian host"
#endif

enum { MAJOR = 0, MINOR = 2, REVISION = 0 };

static size_t layer_bytes(const layer *l)
{
    size_t n = 0;
    for (int i = 0; i < l->n_stored; ++i) n += (size_t)l->stored_n[i];
    return n * sizeof(float);
}

static int clamp_layers(const network *net, int n) { return (n < 0 || n > net->n) ? net->n : n; }

int load_weights_held(network *net, const char *path, int n_layers, int *held_out)
{
    *held_out = 0;
    n_layers = clamp_layers(net, n_layers);
    FILE *fp = fopen(path, "rb");
    if (!fp) return dn_error("cannot open weights file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st)) {
        fclose(fp);
        return dn_error("cannot stat weights file %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        fclose(fp);
        return dn_error("weights file %s is %s, not a file", path, S_ISDIR(st.st_mode) ? "a directory" : "special");
    }
    size_t size = (size_t)st.st_size;
    int32_t ver[3];
    if (fread(ver, sizeof(int32_t), 3, fp) != 3) {
        fclose(fp);
        return dn_error("weights file %s: %zu bytes is too short for the 12-byte header", path, size);
    }
    /* darknet marks transposed files with a version above 1000; anything far
     * outside that (or negative) is not a weights file at all (an image, a cfg). */
    if (ver[0] < 0 || ver[1] < 0 || ver[0] > 100000 || ver[1] > 100000) {
        fclose(fp);
        return dn_error("%s is not a darknet weights file (header version %d.%d)", path, ver[0],
                        ver[1]);
    }
    if (ver[0] > 1000 || ver[1] > 1000) {
        fclose(fp);
        return dn_error("weights file %s: version %d.%d (transposed layout) is not supported", path,
                        ver[0], ver[1]);
    }
    int wide_seen = ver[0] * 10 + ver[1] >= 2;
    size_t header = 12 + (wide_seen ? 8 : 4);
    uint64_t seen = 0;
    if (wide_seen) {
        if (fread(&seen, 8, 1, fp) != 1) goto short_header;
    } else {
        uint32_t s32;
        if (fread(&s32, 4, 1, fp) != 1) goto short_header;
        seen = s32;
    }
    /* How many whole layers does the file hold? darknet users load partial files
     * (e.g. darknet53.conv.74) into full cfgs; a file ending mid-layer or running
     * past the cfg means the two do not match. */
    size_t expected = header, full = header;
    int held = 0;
    for (int i = 0; i < net->n; ++i) full += layer_bytes(&net->layers[i]);
    for (int i = 0; i < n_layers; ++i) {
        size_t next = expected + layer_bytes(&net->layers[i]);
        if (next > size) break;
        expected = next;
        held = i + 1;
    }
    if (held < n_layers && (size != expected || held == 0)) {
        fclose(fp);
        return dn_error("weights file %s is truncated or does not match %s: it has %zu bytes, "
                        "which ends inside layer %d ([%s]); %zu bytes were expected for %d layers",
                        path, net->cfg_path, size, held, net->layers[held].ops->name, full, net->n);
    }
    if (n_layers == net->n && size > full) {
        fclose(fp);
        return dn_error("weights file %s has %zu bytes, %zu more than the %zu that %s expects: "
                        "the cfg and the weights do not match",
                        path, size, size - full, full, net->cfg_path);
    }
    for (int i = 0; i < held; ++i) {
        layer *l = &net->layers[i];
        for (int t = 0; t < l->n_stored; ++t)
            if (fread(l->stored[t], sizeof(float), l->stored_n[t], fp) != (size_t)l->stored_n[t]) {
                fclose(fp);
                return dn_error("weights file %s: read error in layer %d", path, i);
            }
    }
    fclose(fp);
    if (held < n_layers)
        dn_info("weights file %s holds the first %d of %d layers (%zu of %zu bytes); "
                "the rest keep their initial values", path, held, n_layers, size, full);
    *held_out = held;
    net->seen = seen;
    net->iteration = (int)(seen / ((uint64_t)net->batch * net->subdivisions));
    return net->gpu ? network_gpu_push_weights(net) : 0;
short_header:
    fclose(fp);
    return dn_error("weights file %s: %zu bytes is too short for the %zu-byte header", path, size,
                    header);
}

int load_weights_upto(network *net, const char *path, int n_layers)
{
    int held;
    if (load_weights_held(net, path, n_layers, &held)) return -1;
    network_weights_changed(net);
    return 0;
}

int load_weights(network *net, const char *path) { return load_weights_upto(net, path, -1); }

static int write_all(FILE *fp, const network *net, int n_layers)
{
    int32_t ver[3] = {MAJOR, MINOR, REVISION};
    uint64_t seen = net->seen;
    if (fwrite(ver, sizeof ver, 1, fp) != 1 || fwrite(&seen, sizeof seen, 1, fp) != 1) return -1;
    for (int i = 0; i < n_layers; ++i) {
        const layer *l = &net->layers[i];
        for (int t = 0; t < l->n_stored; ++t)
            if (fwrite(l->stored[t], sizeof(float), l->stored_n[t], fp) != (size_t)l->stored_n[t])
                return -1;
    }
    return 0;
}

int save_weights_upto(const network *net, const char *path, int n_layers)
{
    atomic_file a;
    if (net->gpu && network_gpu_pull_weights(net)) return -1;
    if (atomic_file_open(&a, path)) return -1;
    if (write_all(a.fp, net, clamp_layers(net, n_layers))) {
        int err = errno;
        atomic_file_abort(&a);
        return dn_error("cannot save weights to %s: %s", path, strerror(err ? err : EIO));
    }
    return atomic_file_commit(&a);
}

int save_weights(const network *net, const char *path) { return save_weights_upto(net, path, -1); }

int copy_weights(network *dst, const network *src)
{
    int same = dst->n == src->n;
    for (int i = 0; same && i < src->n; ++i) {
        const layer *a = &src->layers[i], *b = &dst->layers[i];
        same = a->n_stored == b->n_stored;
        for (int t = 0; same && t < a->n_stored; ++t) same = a->stored_n[t] == b->stored_n[t];
    }
    if (!same) return dn_error("copy_weights: %s and %s store different tensors", src->cfg_path, dst->cfg_path);
    if (src->gpu && network_gpu_pull_weights(src)) return -1;
    for (int i = 0; i < src->n; ++i)
        for (int t = 0; t < src->layers[i].n_stored; ++t)
            memcpy(dst->layers[i].stored[t], src->layers[i].stored[t], sizeof(float) * src->layers[i].stored_n[t]);
    dst->seen = src->seen;
    dst->iteration = src->iteration;
    network_weights_changed(dst);
    return dst->gpu ? network_gpu_push_weights(dst) : 0;
}

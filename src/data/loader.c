/* loader.c: threaded batch loading with darknet's detection augmentation
 * (see loader.h for what a batch holds and why it is deterministic).
 *
 * Workers claim images one at a time in run order (k = 0, 1, 2, ...) under
 * the lock, as long as image k's batch fits in the ring of `ahead` batch
 * buffers, then load it without the lock straight into its place. The
 * caller's loader_next waits until every image of the next batch is done,
 * copies it out and frees the buffer for batch + ahead. */
#include "loader.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "data_cfg.h"
#include "errors.h"
#include "image.h"
#include "labels.h"
#include "mosaic.h"
#include "rng.h"

enum { RANDOM_TRIES = 16, MAX_SIDE = 16384 };

typedef struct {
    float *images, *truth;
    loader_image_info *info;
    int done;                   /* images of this batch finished */
} batch_buf;

struct loader {
    loader_config cfg;
    int batch;                  /* images per loader_next: cfg.batch / shards */
    char **paths;
    int n;
    char *list;                 /* copy of cfg.list */
    size_t per_image;           /* floats: 3 * width * height of the largest batch */
    size_t truth_per_image;     /* floats: DN_MAX_BOXES * 5, or classes when classifying */
    int *image_classes;         /* copy of cfg.image_classes (n entries) */
    batch_buf *ring;
    int n_bufs;
    pthread_t *threads;
    int n_threads;
    pthread_mutex_t lock;
    pthread_cond_t work, ready;
    int64_t next_item;          /* next image of the run to claim */
    int64_t consumed;           /* batches handed to the caller */
    int64_t total_items;        /* eval: n; training: unbounded */
    int stop, fatal;
    char err[1024];
    int *perm;                  /* the shuffle of epoch perm_epoch */
    int64_t perm_epoch;
    unsigned char *bad;         /* per list entry: could not be loaded */
    unsigned char *seen;        /* per list entry: labels looked at once */
    loader_stats stats;
};

void loader_config_default(loader_config *c)
{
    memset(c, 0, sizeof *c);
    c->threads = 2;
    c->ahead = 2;
    c->seed = DN_DEFAULT_SEED;
    c->saturation = 1;
    c->exposure = 1;
}

/* ---- [net] keys ---- */

/* Where darknet's detection keys are: [net], else the first [yolo] or
 * [region] that has the key (darknet reads jitter and random there). */
static cfg_section *layer_key_section(cfg_file *f, const char *key)
{
    cfg_section *s = &f->sections[0];
    for (int i = 1; i < f->n_sections && !cfg_has(s, key); ++i)
        if ((!strcmp(f->sections[i].name, "yolo") || !strcmp(f->sections[i].name, "region")) &&
            cfg_has(&f->sections[i], key))
            return &f->sections[i];
    return s;
}

int loader_config_from_cfg(loader_config *out, const char *cfg_path)
{
    cfg_file *f = cfg_read(cfg_path);
    if (!f) return -1;
    cfg_section *s = &f->sections[0];
    if (strcmp(s->name, "net") && strcmp(s->name, "network")) {
        cfg_fail(s, NULL, "the first section must be [net]");
        cfg_free(f);
        return -1;
    }
    loader_config c = *out;
    c.width = cfg_int_range(s, "width", c.width, 1, MAX_SIDE);
    c.height = cfg_int_range(s, "height", c.height, 1, MAX_SIDE);
    if (cfg_has(s, "channels") && cfg_int(s, "channels", 3) != 3 && !cfg_failed(s))
        cfg_fail(s, "channels", "the data loader makes 3-channel (RGB) images");
    c.flip = cfg_int_range(s, "flip", c.flip, 0, 1);
    c.hue = cfg_float_range(s, "hue", c.hue, 0, 0.5f);
    c.saturation = cfg_float_range(s, "saturation", c.saturation, 1e-3f, 1e3f);
    c.exposure = cfg_float_range(s, "exposure", c.exposure, 1e-3f, 1e3f);
    c.letterbox = cfg_int_range(s, "letter_box", c.letterbox, 0, 1);
    c.mosaic = cfg_int_range(s, "mosaic", c.mosaic, 0, 1);
    cfg_section *js = layer_key_section(f, "jitter"), *rs = layer_key_section(f, "random");
    c.jitter = cfg_float_range(js, "jitter", c.jitter, 0, 0.9f);
    c.random = cfg_int_range(rs, "random", c.random, 0, 1);
    int failed = cfg_failed(s) || cfg_failed(js) || cfg_failed(rs);
    cfg_free(f);
    if (failed) return -1;
    *out = c;
    return 0;
}

/* ---- random numbers per image of the run ---- */

static uint64_t mix64(uint64_t x)
{
    /* splitmix64's finaliser: nearby keys give unrelated seeds */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

enum { STREAM_AUGMENT, STREAM_REPLACE, STREAM_SHUFFLE, STREAM_SCALE, STREAM_MOSAIC };

static void seed_stream(rng_state *r, uint64_t seed, uint64_t key, int stream)
{
    rng_seed(r, mix64(seed ^ mix64(key * 4 + (uint64_t)stream)));
}

/* Fisher-Yates shuffle of 0..n-1 for one epoch. */
static void make_perm(loader *L, int64_t epoch)
{
    rng_state r;
    seed_stream(&r, L->cfg.seed, (uint64_t)epoch, STREAM_SHUFFLE);
    for (int i = 0; i < L->n; ++i) L->perm[i] = i;
    for (int i = L->n - 1; i > 0; --i) {
        int j = (int)(rng_u32(&r) % (uint32_t)(i + 1)), t = L->perm[i];
        L->perm[i] = L->perm[j];
        L->perm[j] = t;
    }
    L->perm_epoch = epoch;
}

/* ---- multi-scale ---- */

enum { SCALE_STEP = 32, SCALE_EVERY = 10 };
static const float SCALE_MIN = 0.7f, SCALE_MAX = 1.4f;

/* side * f rounded to a multiple of 32 within 0.7x .. 1.4x of side (side
 * itself when none fits); f = SCALE_MAX gives the largest. */
static int scaled_side(int side, float f)
{
    int lo = (int)ceilf(SCALE_MIN * side / SCALE_STEP), hi = (int)floorf(SCALE_MAX * side / SCALE_STEP);
    if (hi < lo) return side;
    int k = (int)lroundf(f * side / SCALE_STEP);
    return (k < lo ? lo : k > hi ? hi : k) * SCALE_STEP;
}

static void batch_dims(const loader *L, int64_t b, int *w, int *h)
{
    const loader_config *c = &L->cfg;
    *w = c->width, *h = c->height;
    if (!c->random || c->eval) return;
    rng_state r;
    seed_stream(&r, c->seed, (uint64_t)(b / SCALE_EVERY), STREAM_SCALE);
    float f = rng_range(&r, SCALE_MIN, SCALE_MAX);
    *w = scaled_side(c->width, f), *h = scaled_side(c->height, f);
}

void loader_next_size(loader *L, int *w, int *h)
{
    pthread_mutex_lock(&L->lock);
    int64_t b = L->consumed;
    pthread_mutex_unlock(&L->lock);
    batch_dims(L, b, w, h);
}

void loader_max_size(const loader *L, int *w, int *h)
{
    const loader_config *c = &L->cfg;
    int random = c->random && !c->eval;
    *w = random ? scaled_side(c->width, SCALE_MAX) : c->width;
    *h = random ? scaled_side(c->height, SCALE_MAX) : c->height;
    if (*w < c->width) *w = c->width;
    if (*h < c->height) *h = c->height;
}

/* ---- one image ---- */

/* A warning from a worker, kept whole on stderr. */
#define locked_warn(...)          \
    do {                          \
        flockfile(stderr);        \
        dn_warn(__VA_ARGS__);     \
        funlockfile(stderr);      \
    } while (0)

/* The labels of list entry idx; warnings and the missing-file note only the
 * first time this entry is looked at. Returns the count (boxes in *out). */
static int load_labels(loader *L, int idx, box_label **out)
{
    char path[PATH_MAX];
    int first = !__atomic_exchange_n(&L->seen[idx], 1, __ATOMIC_RELAXED);
    *out = NULL;
    if (find_label_file(L->paths[idx], path, sizeof path) != 1) {
        if (first) {
            pthread_mutex_lock(&L->lock);
            int note = L->stats.missing_labels++ == 0;
            pthread_mutex_unlock(&L->lock);
            if (note)
                dn_info("note: no label file for %s (looked for %s and the .txt beside the image): "
                        "such images have no objects (further ones are counted, not shown)",
                        L->paths[idx], path);
        }
        return 0;
    }
    unsigned flags = 0;
    flockfile(stderr);
    int n = read_labels(path, L->cfg.classes, out, &flags, first);
    funlockfile(stderr);
    if (first && (flags & LABELS_BAD_LINES)) {
        pthread_mutex_lock(&L->lock);
        L->stats.bad_label_files++;
        pthread_mutex_unlock(&L->lock);
    }
    /* a truth slot holds DN_MAX_BOXES boxes; said once per file, not per epoch */
    if (first && n > DN_MAX_BOXES)
        locked_warn("%s: %d boxes; only the first %d that stay in the crop are used", path, n, DN_MAX_BOXES);
    return n < 0 ? 0 : n;
}

/* Crop and flip of one training image, all drawn before loading. */
typedef struct {
    float left, right, top, bottom;   /* fractions of the image cut (> 0) or padded (< 0) */
    int flip;
    float dhue, dsat, dexp;
} augment;

static augment draw_augment(const loader_config *c, rng_state *r)
{
    augment a;
    float j = c->eval ? 0 : c->jitter;
    a.left = rng_range(r, -j, j);
    a.right = rng_range(r, -j, j);
    a.top = rng_range(r, -j, j);
    a.bottom = rng_range(r, -j, j);
    a.flip = (rng_u32(r) & 1) && c->flip && !c->eval;
    a.dhue = rng_range(r, -c->hue, c->hue);
    a.dsat = rand_scale(r, c->saturation);
    a.dexp = rand_scale(r, c->exposure);
    if (c->eval) a.dhue = 0, a.dsat = a.dexp = 1;
    return a;
}

/* Letterbox (else plain resize): asked for, or detection evaluation, whose
 * boxes map back through the letterbox geometry. */
static int letterboxed(const loader_config *c) { return c->letterbox || (c->eval && !c->image_classes); }

/* Keeps a crop side at least a tenth of the image (jitter near 0.9 could
 * otherwise cut everything). */
static int crop_side(int full, int cut_a, int cut_b)
{
    int side = full - cut_a - cut_b, least = full / 10 > 1 ? full / 10 : 1;
    return side < least ? least : side;
}

/* Loads list entry idx augmented by `a` into dst (3 x H x W), its boxes
 * (relative to W x H) into truth and info. 0, or -1 when the image cannot be read. */
static int load_item(loader *L, int idx, const augment *a, int W, int H, float *dst, float *truth,
                     loader_image_info *info)
{
    const loader_config *c = &L->cfg;
    int src_w = 0, src_h = 0;
    /* decode no larger than the crop needs (libjpeg's scaled decoding) */
    float fw = fmaxf(0.1f, 1 - a->left - a->right), fh = fmaxf(0.1f, 1 - a->top - a->bottom);
    image *im = load_image_hint(L->paths[idx], (int)ceilf(W / fw), (int)ceilf(H / fh), letterboxed(c),
                                &src_w, &src_h);
    if (!im) return -1;
    int ow = im->w, oh = im->h;
    int pl = (int)lroundf(a->left * ow), pr = (int)lroundf(a->right * ow);
    int pt = (int)lroundf(a->top * oh), pb = (int)lroundf(a->bottom * oh);
    int cw = crop_side(ow, pl, pr), ch = crop_side(oh, pt, pb);
    image *cropped = im;
    if (pl || pt || cw != ow || ch != oh) {
        cropped = crop_image(im, pl, pt, cw, ch);
        free_image(im);
        im = NULL;
        if (!cropped) return -1;
    }
    letterbox_geom g = {0};
    image *sized = letterboxed(c) ? letterbox_image(cropped, W, H, &g) : resize_image(cropped, W, H);
    free_image(cropped);
    if (!sized) return -1;
    if (a->flip) flip_image(sized);
    distort_image(sized, a->dhue, a->dsat, a->dexp);
    memcpy(dst, sized->data, (size_t)3 * W * H * sizeof(float));
    free_image(sized);
    *info = (loader_image_info){.index = idx, .loaded = 1, .src_w = src_w, .src_h = src_h};
    if (c->eval) info->geom = g;
    memset(truth, 0, L->truth_per_image * sizeof(float));
    if (c->image_classes) {
        truth[c->image_classes[idx]] = 1;
        return 0;
    }

    box_label *boxes;
    int nb = load_labels(L, idx, &boxes), kept = 0;
    for (int i = 0; i < nb && kept < DN_MAX_BOXES; ++i) {
        box b = boxes[i].b;
        /* edges in the crop's [0,1] */
        float x0 = ((b.x - b.w / 2) * ow - pl) / cw, x1 = ((b.x + b.w / 2) * ow - pl) / cw;
        float y0 = ((b.y - b.h / 2) * oh - pt) / ch, y1 = ((b.y + b.h / 2) * oh - pt) / ch;
        /* what the crop cut away is gone (outside it a letterbox has bars) */
        x0 = fmaxf(x0, 0), y0 = fmaxf(y0, 0), x1 = fminf(x1, 1), y1 = fminf(y1, 1);
        if (letterboxed(c)) {
            x0 = (x0 * g.new_w + g.dx) / W, x1 = (x1 * g.new_w + g.dx) / W;
            y0 = (y0 * g.new_h + g.dy) / H, y1 = (y1 * g.new_h + g.dy) / H;
        }
        if (a->flip) {
            float t = x0;
            x0 = 1 - x1;
            x1 = 1 - t;
        }
        if ((x1 - x0) * W < 1 || (y1 - y0) * H < 1) continue;   /* cut away or under a pixel */
        float *t = truth + kept++ * 5;
        t[0] = (x0 + x1) / 2, t[1] = (y0 + y1) / 2, t[2] = x1 - x0, t[3] = y1 - y0, t[4] = (float)boxes[i].id;
    }
    free(boxes);
    return 0;
}

/* Records entry idx as unreadable (one warning per entry). */
static void mark_bad(loader *L, int idx, const char *why)
{
    if (__atomic_exchange_n(&L->bad[idx], 1, __ATOMIC_RELAXED)) return;
    pthread_mutex_lock(&L->lock);
    L->stats.bad_images++;
    pthread_mutex_unlock(&L->lock);
    /* image errors name the file; say it when this one does not */
    const char *path = L->paths[idx];
    int named = strstr(why, path) != NULL;
    locked_warn("skipping image%s%s: %s%s", named ? "" : " ", named ? "" : path, why,
                L->cfg.eval ? "" : "; another image of the list takes its place");
}

/* Image k of this loader's run is image global_item(k) of the whole run:
 * in pass g of batch b, part `shard` of the pass. */
static int64_t global_item(const loader *L, int64_t k)
{
    const loader_config *c = &L->cfg;
    if (c->shards < 2) return k;
    int64_t b = k / L->batch;
    int i = (int)(k % L->batch), part = L->batch / c->shard_groups;
    int g = i / part, j = i % part;
    return b * c->batch + (int64_t)g * (c->batch / c->shard_groups) + (int64_t)c->shard * part + j;
}

/* Where one image goes: its size, pixels (3 x h x w), boxes and info. */
typedef struct {
    int w, h;
    float *dst, *truth;
    loader_image_info *info;
} item_place;

/* Loads list entry `first`, or when it cannot be read a replacement, with
 * augmentation and replacements drawn from (seed, key). 0, or -1 with L's
 * error set when no image of the list can be loaded. */
static int load_training_image(loader *L, uint64_t key, int first, const item_place *p)
{
    const loader_config *c = &L->cfg;
    rng_state r;
    seed_stream(&r, c->seed, key, STREAM_AUGMENT);
    augment a = draw_augment(c, &r);
    char why[1024] = "";
    /* candidates: the shuffle's choice, a few random entries, then every
     * entry from a random start; the first loadable one wins, so which
     * image fills the slot does not depend on what other threads found */
    seed_stream(&r, c->seed, key, STREAM_REPLACE);
    int cand = first, scan_start = 0;
    for (int tries = 0;; ++tries) {
        if (!__atomic_load_n(&L->bad[cand], __ATOMIC_RELAXED)) {
            dn_clear_error();
            if (!load_item(L, cand, &a, p->w, p->h, p->dst, p->truth, p->info)) return 0;
            snprintf(why, sizeof why, "%s", dn_last_error());
            mark_bad(L, cand, why);
        }
        if (tries < RANDOM_TRIES) {
            cand = (int)(rng_u32(&r) % (uint32_t)L->n);
        } else {
            if (tries == RANDOM_TRIES) scan_start = (int)(rng_u32(&r) % (uint32_t)L->n);
            int step = tries - RANDOM_TRIES;
            if (step >= L->n) break;
            cand = (scan_start + step) % L->n;
        }
    }
    pthread_mutex_lock(&L->lock);
    if (!L->fatal)
        snprintf(L->err, sizeof L->err, "none of the %d images of %.300s could be loaded%s%.600s", L->n,
                 c->list ? c->list : "the list", why[0] ? "; last: " : "", why);
    L->fatal = 1;
    pthread_mutex_unlock(&L->lock);
    return -1;
}

/* Mosaic (loader.h): entry `first` and three drawn from (seed, global), a
 * window of each in one quadrant. 0 or -1 as load_training_image. */
static int load_mosaic(loader *L, int64_t global, int first, const item_place *p)
{
    size_t floats = (size_t)3 * p->w * p->h;
    float *pixels = malloc(floats * sizeof(float)), boxes[DN_MAX_BOXES * 5];
    if (!pixels) {
        pthread_mutex_lock(&L->lock);
        if (!L->fatal) snprintf(L->err, sizeof L->err, "out of memory for a %d x %d mosaic", p->w, p->h);
        L->fatal = 1;
        pthread_mutex_unlock(&L->lock);
        return -1;
    }
    rng_state r;
    seed_stream(&r, L->cfg.seed, (uint64_t)global, STREAM_MOSAIC);
    mosaic_rect q[4];
    mosaic_quadrants(p->w, p->h, (int)lroundf(rng_range(&r, 0.3f, 0.7f) * p->w),
                     (int)lroundf(rng_range(&r, 0.3f, 0.7f) * p->h), q);
    memset(p->truth, 0, L->truth_per_image * sizeof(float));
    int kept = 0, rc = 0;
    for (int k = 0; k < 4 && !rc; ++k) {
        loader_image_info info;
        item_place part = {p->w, p->h, pixels, boxes, k ? &info : p->info};
        int entry = k ? (int)(rng_u32(&r) % (uint32_t)L->n) : first;
        if ((rc = load_training_image(L, (uint64_t)global * 4 + k, entry, &part))) break;
        /* a window of the quadrant's size anywhere in the image */
        mosaic_rect from = {(int)(rng_u32(&r) % (uint32_t)(p->w - q[k].w + 1)),
                            (int)(rng_u32(&r) % (uint32_t)(p->h - q[k].h + 1)), q[k].w, q[k].h};
        mosaic_paste(pixels, from, p->dst, p->w, p->h, q[k].x, q[k].y);
        kept = mosaic_boxes(boxes, p->w, p->h, from, q[k].x, q[k].y, MOSAIC_MIN_PIXELS, MOSAIC_MIN_KEPT, p->truth, kept);
    }
    free(pixels);
    return rc;
}

/* Fills image k of this loader's run, image `global` of the whole run (list
 * entry `first`, or its replacements). 0, or -1 with L's error set when no
 * image of the list can be loaded. */
static int fill_item(loader *L, int64_t k, int64_t global, int first)
{
    const loader_config *c = &L->cfg;
    int64_t b = k / L->batch;
    int i = (int)(k % L->batch);
    batch_buf *buf = &L->ring[b % L->n_bufs];
    item_place p;
    batch_dims(L, b, &p.w, &p.h);
    p.dst = buf->images + i * (size_t)3 * p.w * p.h;
    p.truth = buf->truth + i * L->truth_per_image;
    p.info = &buf->info[i];
    if (!c->eval) return c->mosaic ? load_mosaic(L, global, first, &p) : load_training_image(L, (uint64_t)global, first, &p);
    rng_state r;
    seed_stream(&r, c->seed, (uint64_t)global, STREAM_AUGMENT);
    augment a = draw_augment(c, &r);
    dn_clear_error();
    if (!load_item(L, first, &a, p.w, p.h, p.dst, p.truth, p.info)) return 0;
    mark_bad(L, first, dn_last_error());
    for (size_t q = 0; q < L->per_image; ++q) p.dst[q] = 0.5f;
    memset(p.truth, 0, L->truth_per_image * sizeof(float));
    *p.info = (loader_image_info){.index = first};
    return 0;
}

/* ---- workers and the ring ---- */

static int batch_size(const loader *L, int64_t b)
{
    if (!L->cfg.eval) return L->batch;
    int64_t left = L->n - b * L->batch;
    return left < L->batch ? (int)(left > 0 ? left : 0) : L->batch;
}

static int can_claim(const loader *L)
{
    return L->next_item < L->total_items && L->next_item / L->batch < L->consumed + L->n_bufs;
}

static void *worker(void *arg)
{
    loader *L = arg;
    pthread_mutex_lock(&L->lock);
    for (;;) {
        while (!L->stop && !L->fatal && !can_claim(L)) pthread_cond_wait(&L->work, &L->lock);
        if (L->stop || L->fatal) break;
        int64_t k = L->next_item++, g = global_item(L, k);
        int first = (int)(g % L->n);
        if (!L->cfg.eval) {
            if (g / L->n != L->perm_epoch) make_perm(L, g / L->n);
            first = L->perm[first];
        }
        pthread_mutex_unlock(&L->lock);
        fill_item(L, k, g, first);
        pthread_mutex_lock(&L->lock);
        int64_t b = k / L->batch;
        batch_buf *buf = &L->ring[b % L->n_bufs];
        if (++buf->done == batch_size(L, b) || L->fatal) pthread_cond_broadcast(&L->ready);
    }
    pthread_mutex_unlock(&L->lock);
    return NULL;
}

int loader_next(loader *L, float *images, float *truth, loader_image_info *info)
{
    if (!L || !images) return dn_error("loader_next: no loader or no image buffer");
    pthread_mutex_lock(&L->lock);
    int64_t b = L->consumed;
    int count = batch_size(L, b);
    batch_buf *buf = &L->ring[b % L->n_bufs];
    while (count && !L->fatal && buf->done < count) pthread_cond_wait(&L->ready, &L->lock);
    if (L->fatal) {
        pthread_mutex_unlock(&L->lock);
        return dn_error("%s", L->err);
    }
    pthread_mutex_unlock(&L->lock);
    if (!count) return 0;
    /* the workers leave this buffer alone until `consumed` moves on */
    size_t B = (size_t)L->batch, per_image;
    int w, h;
    batch_dims(L, b, &w, &h);
    per_image = (size_t)3 * w * h;
    memcpy(images, buf->images, count * per_image * sizeof(float));
    memset(images + count * per_image, 0, (B - count) * per_image * sizeof(float));
    if (truth) {
        size_t T = L->truth_per_image;
        memcpy(truth, buf->truth, count * T * sizeof(float));
        memset(truth + count * T, 0, (B - count) * T * sizeof(float));
    }
    if (info) {
        memcpy(info, buf->info, count * sizeof *info);
        for (size_t i = count; i < B; ++i) info[i] = (loader_image_info){.index = -1};
    }
    pthread_mutex_lock(&L->lock);
    buf->done = 0;
    L->consumed++;
    L->stats.images += count;
    pthread_cond_broadcast(&L->work);
    pthread_mutex_unlock(&L->lock);
    return count;
}

/* ---- open and close ---- */

static int check_config(const loader_config *c)
{
    if (!c->list && !c->paths) return dn_error("loader: no image list");
    if (c->paths && c->n_paths < 1) return dn_error("loader: the image list is empty");
    if (c->width < 1 || c->height < 1 || c->width > MAX_SIDE || c->height > MAX_SIDE)
        return dn_error("loader: image size %d x %d must lie in 1 .. %d", c->width, c->height, MAX_SIDE);
    if (c->batch < 1) return dn_error("loader: batch %d must be at least 1", c->batch);
    if ((size_t)c->batch * 3 * c->width * c->height > ((size_t)1 << 32))
        return dn_error("loader: a batch of %d images of %d x %d is too large", c->batch, c->width, c->height);
    if (c->shards > 1 && (c->eval || c->shard < 0 || c->shard >= c->shards || c->shard_groups < 1 ||
                          c->batch % (c->shards * c->shard_groups)))
        return dn_error("loader: batch %d cannot be cut into %d passes of %d shards (shard %d)%s", c->batch,
                        c->shard_groups, c->shards, c->shard, c->eval ? " in evaluation" : "");
    if (c->mosaic && c->image_classes) return dn_error("loader: mosaic=1 is for detection, not classification");
    if (c->threads < 0 || c->threads > 64) return dn_error("loader: %d threads (0 .. 64)", c->threads);
    if (c->ahead < 0 || c->ahead > 16) return dn_error("loader: %d batches ahead (0 .. 16)", c->ahead);
    if (!(c->jitter >= 0 && c->jitter <= 0.9f)) return dn_error("loader: jitter %g must lie in 0 .. 0.9", c->jitter);
    if (!(c->hue >= 0 && c->hue <= 0.5f)) return dn_error("loader: hue %g must lie in 0 .. 0.5", c->hue);
    if (!(c->saturation > 0 && c->exposure > 0 && isfinite(c->saturation) && isfinite(c->exposure)))
        return dn_error("loader: saturation %g and exposure %g must be positive", c->saturation, c->exposure);
    return 0;
}

/* The classification classes, checked against `classes`. */
static int copy_classes(loader *L)
{
    const int *src = L->cfg.image_classes;
    if (!src) return 0;
    if (L->cfg.classes < 1) return dn_error("loader: classification needs the number of classes");
    if (!(L->image_classes = dn_calloc(L->n, sizeof(int)))) return -1;
    for (int i = 0; i < L->n; ++i) {
        if (src[i] < 0 || src[i] >= L->cfg.classes)
            return dn_error("loader: image %d (%s) has class %d, outside 0 .. %d", i, L->paths[i], src[i],
                            L->cfg.classes - 1);
        L->image_classes[i] = src[i];
    }
    L->cfg.image_classes = L->image_classes;
    return 0;
}

loader *loader_open(const loader_config *cfg)
{
    if (!cfg || check_config(cfg)) return NULL;
    loader *L = dn_calloc(1, sizeof *L);
    if (!L) return NULL;
    L->cfg = *cfg;
    L->cfg.paths = NULL;   /* copied below; the caller's array may go */
    L->batch = cfg->shards > 1 ? cfg->batch / cfg->shards : cfg->batch;
    if (!L->cfg.threads) L->cfg.threads = 2;
    if (!L->cfg.ahead) L->cfg.ahead = 2;
    pthread_mutex_init(&L->lock, NULL);
    pthread_cond_init(&L->work, NULL);
    pthread_cond_init(&L->ready, NULL);
    if (cfg->paths) {
        L->paths = dn_calloc(cfg->n_paths, sizeof *L->paths);
        for (int i = 0; L->paths && i < cfg->n_paths; ++i) {
            if (!cfg->paths[i] || !(L->paths[i] = dn_strdup(cfg->paths[i]))) {
                if (!cfg->paths[i]) dn_error("loader: image path %d is NULL", i);
                L->n = i;
                goto fail;
            }
        }
        L->n = cfg->n_paths;
    } else {
        if (!(L->list = dn_strdup(cfg->list))) goto fail;
        L->cfg.list = L->list;
        L->paths = read_image_list(cfg->list, &L->n);
    }
    if (!L->paths || copy_classes(L)) goto fail;
    int max_w, max_h;
    loader_max_size(L, &max_w, &max_h);
    L->per_image = (size_t)3 * max_w * max_h;   /* every batch fits its buffer */
    L->truth_per_image = cfg->image_classes ? (size_t)cfg->classes : (size_t)DN_MAX_BOXES * 5;
    L->n_bufs = L->cfg.ahead;
    L->total_items = cfg->eval ? L->n : INT64_MAX;
    L->perm_epoch = -1;
    L->perm = dn_calloc(L->n, sizeof *L->perm);
    L->bad = dn_calloc(L->n, 1);
    L->seen = dn_calloc(L->n, 1);
    L->ring = dn_calloc(L->n_bufs, sizeof *L->ring);
    if (!L->perm || !L->bad || !L->seen || !L->ring) goto fail;
    for (int i = 0; i < L->n_bufs; ++i) {
        batch_buf *b = &L->ring[i];
        b->images = dn_calloc(L->batch * L->per_image, sizeof(float));
        b->truth = dn_calloc(L->batch * L->truth_per_image, sizeof(float));
        b->info = dn_calloc(L->batch, sizeof *b->info);
        if (!b->images || !b->truth || !b->info) goto fail;
    }
    L->threads = dn_calloc(L->cfg.threads, sizeof *L->threads);
    if (!L->threads) goto fail;
    for (; L->n_threads < L->cfg.threads; ++L->n_threads)
        if (pthread_create(&L->threads[L->n_threads], NULL, worker, L)) {
            dn_error("loader: cannot start worker thread %d", L->n_threads + 1);
            goto fail;
        }
    return L;
fail:
    loader_close(L);
    return NULL;
}

int loader_n_images(const loader *L) { return L ? L->n : 0; }

loader_stats loader_get_stats(loader *L)
{
    loader_stats s = {0};
    if (!L) return s;
    pthread_mutex_lock(&L->lock);
    s = L->stats;
    pthread_mutex_unlock(&L->lock);
    return s;
}

void loader_close(loader *L)
{
    if (!L) return;
    pthread_mutex_lock(&L->lock);
    L->stop = 1;
    pthread_cond_broadcast(&L->work);
    pthread_cond_broadcast(&L->ready);
    pthread_mutex_unlock(&L->lock);
    for (int i = 0; i < L->n_threads; ++i) pthread_join(L->threads[i], NULL);
    free(L->threads);
    for (int i = 0; L->ring && i < L->n_bufs; ++i) {
        free(L->ring[i].images);
        free(L->ring[i].truth);
        free(L->ring[i].info);
    }
    free(L->ring);
    free_string_list(L->paths, L->n);
    free(L->list);
    free(L->perm);
    free(L->bad);
    free(L->seen);
    free(L->image_classes);
    pthread_cond_destroy(&L->work);
    pthread_cond_destroy(&L->ready);
    pthread_mutex_destroy(&L->lock);
    free(L);
}

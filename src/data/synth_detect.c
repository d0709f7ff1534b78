/* synth_detect.c: scenes for the synthetic detection dataset.
 *
 * A scene is a cluttered background (colour gradient, faint waves, thin
 * lines and soft blobs that are not objects), then the objects from largest
 * to smallest, so small ones sit on top of large ones. Object sizes follow
 * COCO's area ranges (small < 32^2 <= medium < 96^2 <= large pixels), as far
 * as the image size allows. Each pixel is drawn with 2 x 2 supersampling; a
 * pixel belongs to the last object covering at least half of it, which gives
 * each object's visible pixels, its tight box and its area. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "image.h"
#include "rng.h"
#include "synth_detect.h"

const char *const synth_detect_names[SYNTH_DETECT_CLASSES] = {"square", "circle", "triangle", "cross",
                                                           "ring",   "diamond", "hbar",   "vbar"};

enum { MAX_SHAPES = 6 + 12 };   /* objects and crowd members */
#define PI_F 3.14159265f

typedef struct {
    int cls, crowd;            /* crowd: a member of the crowd cluster */
    float cx, cy, hw, hh;      /* centre, half width and height before rotation */
    float cs, sn;              /* rotation */
    int texture;               /* 0 solid, 1 stripes, 2 speckle, 3 gradient, 4 checks */
    float c1[3], c2[3];
    float period, tcs, tsn;    /* texture scale and direction */
    uint32_t noise_seed;
    int dropped;               /* hidden too much: not drawn */
    int drawn, visible;        /* pixels it took when drawn, and still holds at the end */
    int x0, y0, x1, y1;        /* extent of the visible pixels */
} shape;

/* ---- small helpers ---- */

static uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t h = a * 0x9E3779B1u ^ (b + 0x7F4A7C15u) * 0x85EBCA6Bu ^ (c + 0x165667B1u) * 0xC2B2AE35u;
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    h *= 0x846CA68Bu;
    return h ^ (h >> 16);
}
static float hnoise(uint32_t seed, int x, int y) { return (hash3(seed, (uint32_t)x, (uint32_t)y) >> 8) * (1.0f / 16777216); }

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void random_color(rng_state *r, float smin, float smax, float vmin, float vmax, float c[3])
{
    float h = rng_uniform(r), s = rng_range(r, smin, smax), v = rng_range(r, vmin, vmax);
    hsv_to_rgb(h, s, v, &c[0], &c[1], &c[2]);
}

static float color_dist(const float a[3], const float b[3])
{
    return sqrtf((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

static void blend(image *im, int x, int y, const float c[3], float a)
{
    for (int k = 0; k < 3; ++k) {
        float *p = image_at(im, x, y, k);
        *p += (c[k] - *p) * a;
    }
}

/* ---- background ---- */

static void draw_clutter_line(image *im, rng_state *r)
{
    int S = im->w;
    float x0 = rng_range(r, -0.2f, 1.2f) * S, y0 = rng_range(r, -0.2f, 1.2f) * S;
    float ang = rng_range(r, 0, 2 * PI_F), len = rng_range(r, 0.3f, 1.0f) * S;
    float x1 = x0 + len * cosf(ang), y1 = y0 + len * sinf(ang);
    float half = rng_range(r, 0.4f, 1.2f), alpha = rng_range(r, 0.4f, 0.9f), c[3];
    random_color(r, 0, 1, 0.1f, 1, c);
    float dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy;
    int xa = (int)fmaxf(0, fminf(x0, x1) - 2), xb = (int)fminf(S - 1, fmaxf(x0, x1) + 2);
    int ya = (int)fmaxf(0, fminf(y0, y1) - 2), yb = (int)fminf(S - 1, fmaxf(y0, y1) + 2);
    for (int y = ya; y <= yb; ++y)
        for (int x = xa; x <= xb; ++x) {
            float px = x + 0.5f - x0, py = y + 0.5f - y0;
            float t = fminf(1, fmaxf(0, (px * dx + py * dy) / l2));
            float ex = px - t * dx, ey = py - t * dy, d = sqrtf(ex * ex + ey * ey);
            float a = fminf(1, fmaxf(0, half + 0.5f - d));   /* anti-aliased edge */
            if (a > 0) blend(im, x, y, c, a * alpha);
        }
}

static void draw_blob(image *im, rng_state *r)
{
    int S = im->w;
    float cx = rng_range(r, 0, S), cy = rng_range(r, 0, S);
    float rx = rng_range(r, 0.05f, 0.25f) * S, ry = rng_range(r, 0.05f, 0.25f) * S;
    float alpha = rng_range(r, 0.15f, 0.35f), c[3];
    random_color(r, 0, 0.8f, 0.1f, 1, c);
    int xa = (int)fmaxf(0, cx - 2 * rx), xb = (int)fminf(S - 1, cx + 2 * rx);
    int ya = (int)fmaxf(0, cy - 2 * ry), yb = (int)fminf(S - 1, cy + 2 * ry);
    for (int y = ya; y <= yb; ++y)
        for (int x = xa; x <= xb; ++x) {
            float u = (x + 0.5f - cx) / rx, v = (y + 0.5f - cy) / ry;
            blend(im, x, y, c, alpha * expf(-2 * (u * u + v * v)));   /* soft: no edge to mistake for a shape */
        }
}

static void draw_background(image *im, rng_state *r)
{
    int S = im->w;
    float a[3], b[3];
    random_color(r, 0, 0.5f, 0.2f, 0.9f, a);
    random_color(r, 0, 0.5f, 0.2f, 0.9f, b);
    float ang = rng_range(r, 0, 2 * PI_F), gc = cosf(ang) / S, gs = sinf(ang) / S;
    float wa = rng_range(r, 0.01f, 0.06f), wfx = rng_range(r, -0.6f, 0.6f), wfy = rng_range(r, -0.6f, 0.6f);
    float wph = rng_range(r, 0, 2 * PI_F);
    for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x) {
            float t = fminf(1, fmaxf(0, 0.5f + (x - S / 2) * gc + (y - S / 2) * gs));
            float wave = wa * sinf(x * wfx + y * wfy + wph);
            for (int k = 0; k < 3; ++k) *image_at(im, x, y, k) = a[k] + (b[k] - a[k]) * t + wave;
        }
    int clutter = 2 + (int)(rng_u32(r) % 7);
    for (int i = 0; i < clutter; ++i) {
        if (rng_uniform(r) < 0.6f) draw_clutter_line(im, r);
        else draw_blob(im, r);
    }
}

/* Mean background colour over a box, for choosing a contrasting colour. */
static void mean_color(const image *im, float x0, float y0, float x1, float y1, float c[3])
{
    int xa = (int)fmaxf(0, x0), xb = (int)fminf(im->w - 1, x1), ya = (int)fmaxf(0, y0), yb = (int)fminf(im->h - 1, y1);
    double s[3] = {0, 0, 0};
    int n = 0;
    for (int y = ya; y <= yb; y += 2)
        for (int x = xa; x <= xb; x += 2, ++n)
            for (int k = 0; k < 3; ++k) s[k] += *image_at(im, x, y, k);
    for (int k = 0; k < 3; ++k) c[k] = n ? (float)(s[k] / n) : 0.5f;
}

/* ---- shapes ---- */

/* Whether the point (lx, ly), in pixels from the centre in the shape's own
 * frame, is inside a shape of half extents hw x hh. */
static int inside(int cls, float lx, float ly, float hw, float hh)
{
    float u = lx / hw, v = ly / hh;
    switch (cls) {
    case 0: return fabsf(u) <= 1 && fabsf(v) <= 1;
    case 1: return u * u + v * v <= 1;
    case 2: return v <= 1 && fabsf(u) <= (v + 1) * 0.5f;    /* apex up */
    case 3: return (fabsf(u) <= 0.3f && fabsf(v) <= 1) || (fabsf(v) <= 0.3f && fabsf(u) <= 1);
    case 4: return u * u + v * v <= 1 && u * u + v * v >= 0.36f;
    case 5: return fabsf(u) + fabsf(v) <= 1;
    default: { /* bars: rounded ends (a capsule), so they are not squares stretched */
        float rad = fminf(hw, hh);
        float dx = fmaxf(fabsf(lx) - (hw - rad), 0), dy = fmaxf(fabsf(ly) - (hh - rad), 0);
        return dx * dx + dy * dy <= rad * rad;
    }
    }
}

/* Aspect ratio (w/h) range and rotation limit (radians) per class: limits
 * keep a square from turning into a diamond and a cross into an X. */
static const float aspect_lo[8] = {0.85f, 0.8f, 0.8f, 0.85f, 0.85f, 0.7f, 2.5f, 0.25f};
static const float aspect_hi[8] = {1.18f, 1.25f, 1.3f, 1.18f, 1.18f, 1.0f, 4.0f, 0.4f};
static const float max_turn[8] = {0.2f, 0.5f, 0.45f, 0.2f, 0.5f, 0.2f, 0.14f, 0.14f};

static void extent(const shape *s, float *ex, float *ey)
{
    *ex = fabsf(s->hw * s->cs) + fabsf(s->hh * s->sn);
    *ey = fabsf(s->hw * s->sn) + fabsf(s->hh * s->cs);
}

/* Visible area over box area of each class, unrotated (ring: pi (1 - 0.36) / 4,
 * cross: (2 * 1.2 - 0.36) / 4, bars: a capsule of aspect 3). */
static const float fill[8] = {1.0f, 0.785f, 0.5f, 0.51f, 0.5f, 0.5f, 0.9f, 0.9f};

/* Sizes follow COCO's area ranges for the area the object will show:
 * small (< 32^2) 40%, medium 35%, large (>= 96^2) 25%, log-uniform within
 * the range; where the image is too small for a large (or medium) object of
 * this class, the next smaller range. Sets the half extents and rotation. */
static void set_size(shape *s, rng_state *r, int S)
{
    static const float lo[3] = {6, 32, 96}, hi[3] = {32, 96, 512};
    float u = rng_uniform(r), asp = rng_range(r, aspect_lo[s->cls], aspect_hi[s->cls]);
    /* the box may take 85% of the image side on its longer side */
    float longer = fmaxf(sqrtf(asp), 1 / sqrtf(asp));
    float cap = 0.85f * S / longer * sqrtf(fill[s->cls]);
    int c = u < 0.4f ? 0 : u < 0.75f ? 1 : 2;
    while (c > 0 && lo[c] >= cap) --c;
    float side = expf(rng_range(r, logf(lo[c]), logf(fminf(hi[c], cap)))) / sqrtf(fill[s->cls]);
    s->hw = fmaxf(1.5f, side * sqrtf(asp) / 2);
    s->hh = fmaxf(1.5f, side / sqrtf(asp) / 2);
    float turn = rng_range(r, -max_turn[s->cls], max_turn[s->cls]);
    s->cs = cosf(turn);
    s->sn = sinf(turn);
}

/* A crowd member: a small object of about `side` pixels on its box's side. */
static void set_member_size(shape *s, rng_state *r, float side)
{
    float asp = rng_range(r, aspect_lo[s->cls], aspect_hi[s->cls]);
    s->hw = fmaxf(1.5f, side * sqrtf(asp) / 2);
    s->hh = fmaxf(1.5f, side / sqrtf(asp) / 2);
    float turn = rng_range(r, -max_turn[s->cls], max_turn[s->cls]);
    s->cs = cosf(turn);
    s->sn = sinf(turn);
}

/* Colours and texture, contrasting with the background under the shape. */
static void set_look(shape *s, rng_state *r, const image *bg)
{
    float ex, ey, m[3], best = -1;
    extent(s, &ex, &ey);
    mean_color(bg, s->cx - ex, s->cy - ey, s->cx + ex, s->cy + ey, m);
    for (int t = 0; t < 8 && best < 0.4f; ++t) {
        float c[3];
        random_color(r, 0.3f, 1, 0.25f, 1, c);
        float d = color_dist(c, m);
        if (d > best) {
            best = d;
            memcpy(s->c1, c, sizeof c);
        }
    }
    s->texture = (int)(rng_u32(r) % 5);
    /* the texture's second colour: a darker or lighter shade or another
     * colour, also apart from the background so the outline stays clear */
    best = -1;
    for (int t = 0; t < 6 && best < 0.3f; ++t) {
        float c[3];
        if (rng_uniform(r) < 0.5f) {
            float f = rng_range(r, 0.45f, 0.75f);
            int darker = rng_uniform(r) < 0.5f;
            for (int k = 0; k < 3; ++k) c[k] = darker ? s->c1[k] * f : 1 - (1 - s->c1[k]) * f;
        } else {
            random_color(r, 0.3f, 1, 0.25f, 1, c);
        }
        float d = color_dist(c, s->c1) < 0.15f ? 0 : color_dist(c, m);
        if (d > best) {
            best = d;
            memcpy(s->c2, c, sizeof c);
        }
    }
    float ang = rng_range(r, 0, PI_F);
    s->tcs = cosf(ang);
    s->tsn = sinf(ang);
    s->period = fmaxf(2.5f, rng_range(r, 0.12f, 0.35f) * fminf(s->hw, s->hh) * 2);
    s->noise_seed = rng_u32(r);
}

static void texture(const shape *s, float lx, float ly, int x, int y, float c[3])
{
    float t = 0;
    switch (s->texture) {
    case 1: { /* stripes */
        float ph = (lx * s->tcs + ly * s->tsn) / s->period;
        t = ph - floorf(ph) < 0.5f ? 0 : 1;
        break;
    }
    case 2: t = hnoise(s->noise_seed, x, y) * 0.8f; break;   /* speckle */
    case 3: t = fminf(1, fmaxf(0, 0.5f + 0.5f * (lx * s->tcs + ly * s->tsn) / fmaxf(s->hw, s->hh))); break;
    case 4: t = (float)(((int)floorf(lx / s->period) + (int)floorf(ly / s->period)) & 1); break;
    default: break;
    }
    for (int k = 0; k < 3; ++k) c[k] = s->c1[k] + (s->c2[k] - s->c1[k]) * t;
}

/* Draws shape `id`; owner[] records the pixels it covers at least half of. */
static void draw_shape(image *im, shape *s, int id, signed char *owner)
{
    static const float sub[2] = {0.25f, 0.75f};
    float ex, ey;
    extent(s, &ex, &ey);
    int xa = (int)fmaxf(0, floorf(s->cx - ex - 1)), xb = (int)fminf(im->w - 1, ceilf(s->cx + ex + 1));
    int ya = (int)fmaxf(0, floorf(s->cy - ey - 1)), yb = (int)fminf(im->h - 1, ceilf(s->cy + ey + 1));
    s->drawn = 0;
    for (int y = ya; y <= yb; ++y)
        for (int x = xa; x <= xb; ++x) {
            int cov = 0;
            for (int j = 0; j < 4; ++j) {
                float dx = x + sub[j & 1] - s->cx, dy = y + sub[j >> 1] - s->cy;
                cov += inside(s->cls, dx * s->cs + dy * s->sn, -dx * s->sn + dy * s->cs, s->hw, s->hh);
            }
            if (!cov) continue;
            float dx = x + 0.5f - s->cx, dy = y + 0.5f - s->cy, c[3];
            texture(s, dx * s->cs + dy * s->sn, -dx * s->sn + dy * s->cs, x, y, c);
            blend(im, x, y, c, cov * 0.25f);
            if (cov >= 2) {
                owner[y * im->w + x] = (signed char)id;
                ++s->drawn;
            }
        }
}

/* ---- placement ---- */

typedef struct {
    float x0, y0, x1, y1;
} rect;

static rect shape_rect(const shape *s)
{
    float ex, ey;
    extent(s, &ex, &ey);
    return (rect){s->cx - ex, s->cy - ey, s->cx + ex, s->cy + ey};
}
static float rect_area(rect a) { return fmaxf(0, a.x1 - a.x0) * fmaxf(0, a.y1 - a.y0); }
static float overlap(rect a, rect b)
{
    return fmaxf(0, fminf(a.x1, b.x1) - fmaxf(a.x0, b.x0)) * fmaxf(0, fminf(a.y1, b.y1) - fmaxf(a.y0, b.y0));
}

/* Finds a place where the new shape covers at most 35% of any shape placed
 * before it (all larger) and stays off the crowd region; objects may run up
 * to a quarter of their width over the image border. Shrinks and retries. */
static int place(shape *s, rng_state *r, const shape *placed, int n_placed, const rect *crowd, int S)
{
    for (int attempt = 0; attempt < 30; ++attempt) {
        if (attempt && attempt % 10 == 0) {
            s->hw = fmaxf(1.5f, s->hw * 0.75f);
            s->hh = fmaxf(1.5f, s->hh * 0.75f);
        }
        float ex, ey;
        extent(s, &ex, &ey);
        s->cx = rng_range(r, 0.5f * ex, S - 0.5f * ex);
        s->cy = rng_range(r, 0.5f * ey, S - 0.5f * ey);
        rect me = shape_rect(s);
        int ok = !crowd || overlap(me, (rect){crowd->x0 - 2, crowd->y0 - 2, crowd->x1 + 2, crowd->y1 + 2}) == 0;
        for (int i = 0; i < n_placed && ok; ++i) {
            rect other = shape_rect(&placed[i]);
            ok = overlap(me, other) <= 0.35f * rect_area(other);
        }
        if (ok) return 1;
    }
    return 0;
}

/* A cluster of 5-10 small objects of one class in a square region, packed
 * on a jittered grid: COCO marks such groups as one crowd region. */
static int add_crowd(shape *shapes, int n, rng_state *r, int classes, const image *bg, rect *region)
{
    int S = bg->w;
    float side = rng_range(r, 0.22f, 0.35f) * S;
    float x0 = rng_range(r, 0, S - side), y0 = rng_range(r, 0, S - side);
    *region = (rect){x0, y0, x0 + side, y0 + side};
    int members = 5 + (int)(rng_u32(r) % 6), grid = (int)ceilf(sqrtf((float)members));
    float cell = side / grid, size = fminf(0.75f * cell, fminf(22, fmaxf(5, 0.06f * S)));
    int cls = (int)(rng_u32(r) % (uint32_t)classes);
    shape base = {.cls = cls, .crowd = 1, .cx = x0 + side / 2, .cy = y0 + side / 2};
    set_member_size(&base, r, size);
    set_look(&base, r, bg);
    for (int i = 0; i < members && n < MAX_SHAPES; ++i) {
        shape m = base;
        set_member_size(&m, r, size * rng_range(r, 0.85f, 1.15f));
        m.cx = x0 + (i % grid + 0.5f + rng_range(r, -0.15f, 0.15f)) * cell;
        m.cy = y0 + (i / grid + 0.5f + rng_range(r, -0.15f, 0.15f)) * cell;
        for (int k = 0; k < 3; ++k) m.c1[k] = fminf(1, fmaxf(0, base.c1[k] + rng_range(r, -0.08f, 0.08f)));
        m.noise_seed = rng_u32(r);
        shapes[n++] = m;
    }
    return n;
}

static int by_size_desc(const void *a, const void *b)
{
    const shape *p = a, *q = b;
    float d = q->hw * q->hh - p->hw * p->hh;
    return d > 0 ? 1 : d < 0 ? -1 : 0;
}

/* Draws the kept shapes over the background and measures what each shows. */
static void render(image *im, const float *bg, shape *shapes, int n, signed char *owner)
{
    size_t plane = (size_t)im->w * im->h;
    memcpy(im->data, bg, sizeof(float) * 3 * plane);
    memset(owner, -1, plane);
    for (int i = 0; i < n; ++i) {
        shapes[i].visible = 0;
        shapes[i].x0 = im->w, shapes[i].y0 = im->h, shapes[i].x1 = -1, shapes[i].y1 = -1;
        if (!shapes[i].dropped) draw_shape(im, &shapes[i], i, owner);
    }
    for (int y = 0; y < im->h; ++y)
        for (int x = 0; x < im->w; ++x) {
            int o = owner[(size_t)y * im->w + x];
            if (o < 0) continue;
            shape *s = &shapes[o];
            ++s->visible;
            if (x < s->x0) s->x0 = x;
            if (x > s->x1) s->x1 = x;
            if (y < s->y0) s->y0 = y;
            if (y > s->y1) s->y1 = y;
        }
}

int synth_detect_scene(uint64_t seed, synth_split split, uint64_t index, int classes, image *im,
                       synth_object *objs, int max_objs)
{
    if (!im || im->c != 3 || im->w != im->h || im->w < SYNTH_MIN_SIZE || classes < 1 ||
        classes > SYNTH_DETECT_CLASSES || !objs || max_objs < 1)
        return dn_error("synth_detect_scene: needs a square 3-channel image of side >= %d and 1..%d classes",
                        SYNTH_MIN_SIZE, SYNTH_DETECT_CLASSES);
    int S = im->w;
    size_t plane = (size_t)S * S;
    float *bg = malloc(sizeof(float) * 3 * plane);
    signed char *owner = malloc(plane);
    if (!bg || !owner) {
        free(bg);
        free(owner);
        return dn_error("synth_detect_scene: out of memory for a %d x %d scene", S, S);
    }
    rng_state r;
    rng_seed(&r, mix64(mix64(seed) ^ mix64(index * 2 + (uint64_t)split + 1)));
    draw_background(im, &r);
    memcpy(bg, im->data, sizeof(float) * 3 * plane);

    shape shapes[MAX_SHAPES];
    int n = 0;
    rect crowd;
    int has_crowd = split == SYNTH_VALID && S >= 64 && rng_uniform(&r) < 0.35f;
    if (has_crowd) n = add_crowd(shapes, n, &r, classes, im, &crowd);
    int first = n, wanted = 1 + (int)(rng_u32(&r) % 6);
    for (int i = 0; i < wanted; ++i) {
        shape *s = &shapes[n + i];
        memset(s, 0, sizeof *s);
        s->cls = (int)(rng_u32(&r) % (uint32_t)classes);
        set_size(s, &r, S);
    }
    qsort(shapes + first, wanted, sizeof(shape), by_size_desc);
    for (int i = 0; i < wanted; ++i) {
        shape *s = &shapes[n];
        if (n != first + i) *s = shapes[first + i];
        if (!place(s, &r, shapes + first, n - first, has_crowd ? &crowd : NULL, S)) continue;
        set_look(s, &r, im);
        ++n;
    }
    /* draw large to small; crowd members are small and land on top */
    qsort(shapes, n, sizeof(shape), by_size_desc);
    /* drop objects that others hide by more than 70% (or to a few pixels),
     * and draw again without them, until every object drawn is labelled */
    for (int changed = 1; changed;) {
        render(im, bg, shapes, n, owner);
        changed = 0;
        for (int i = 0; i < n; ++i) {
            shape *s = &shapes[i];
            if (s->dropped || s->crowd) continue;
            if (s->visible < 6 || s->visible < 0.3f * s->drawn) s->dropped = changed = 1;
        }
    }
    /* sensor noise over everything */
    float amp = rng_range(&r, 0.01f, 0.04f);
    uint32_t nseed = rng_u32(&r);
    for (int k = 0; k < 3; ++k)
        for (int y = 0; y < S; ++y)
            for (int x = 0; x < S; ++x) {
                float *p = image_at(im, x, y, k);
                float v = *p + amp * (2 * hnoise(nseed + (uint32_t)k, x, y) - 1);
                *p = v < 0 ? 0 : v > 1 ? 1 : v;
            }

    int count = 0;
    synth_object group = {.crowd = 1, .x = S, .y = S, .w = -1, .h = -1};
    for (int i = 0; i < n; ++i) {
        shape *s = &shapes[i];
        if (s->dropped || s->visible == 0) continue;
        if (s->crowd) { /* w, h hold the far corner until the end */
            group.cls = s->cls;
            group.area += s->visible;
            group.x = s->x0 < group.x ? s->x0 : group.x;
            group.y = s->y0 < group.y ? s->y0 : group.y;
            group.w = s->x1 > group.w ? s->x1 : group.w;
            group.h = s->y1 > group.h ? s->y1 : group.h;
        } else if (count < max_objs) {
            objs[count++] = (synth_object){s->cls, s->x0, s->y0, s->x1 - s->x0 + 1, s->y1 - s->y0 + 1, s->visible, 0};
        }
    }
    if (group.area > 0 && count < max_objs) {
        group.w = group.w - group.x + 1;
        group.h = group.h - group.y + 1;
        objs[count++] = group;
    }
    free(bg);
    free(owner);
    return count;
}

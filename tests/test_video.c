/* test_video.c: the BGR <-> image conversions of video frames (hand-worked
 * bytes), and video.h's files: a round trip through a Motion JPEG .avi and
 * the error messages with OpenCV, the "rebuild" message without it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "video.h"

TEST(video_bgr_to_image_hand_worked)
{
    /* 2x2 pixels, rows 8 bytes apart (2 padding bytes, 99, never read):
     * row 0: (B,G,R) = (0,0,255) (51,102,153); row 1: (255,255,255) (0,128,0) */
    const unsigned char bgr[16] = {0, 0, 255, 51, 102, 153, 99, 99, 255, 255, 255, 0, 128, 0, 99, 99};
    image *im = make_image(2, 2, 3);
    image_from_bgr24(im, bgr, 8);
    /* planes R, G, B; each value byte / 255 */
    const float want[12] = {255, 153, 255, 0,  0, 102, 255, 128,  0, 51, 255, 0};
    for (int i = 0; i < 12; ++i) CHECK_NEAR(im->data[i], want[i] / 255.0f, 1e-7);
    free_image(im);
}

TEST(video_image_to_bgr_rounds_and_clamps)
{
    /* 3x1, R plane: 0.5 -> 127.5 + 0.5 = 128; 0.2 -> 51 + 0.5 -> 51; -0.5 -> 0
     * G plane: 1.5 -> 255; NaN -> 0; 100/255 -> 100
     * B plane: 1 -> 255; 0 -> 0; 0.998 -> 254.49 + 0.5 -> 254 */
    image *im = make_image(3, 1, 3);
    const float v[9] = {0.5f, 0.2f, -0.5f, 1.5f, NAN, 100 / 255.0f, 1, 0, 0.998f};
    memcpy(im->data, v, sizeof v);
    unsigned char out[10];
    memset(out, 7, sizeof out);
    image_to_bgr24(im, out, 9);
    const unsigned char want[10] = {255, 255, 128, 0, 0, 51, 254, 100, 0, 7};   /* B,G,R; byte 9 untouched */
    for (int i = 0; i < 10; ++i) CHECK_MSG(out[i] == want[i], "byte %d: %d, want %d", i, out[i], want[i]);
    free_image(im);

    /* a grey image writes its one plane to all three colours */
    image *g = make_image(2, 1, 1);
    g->data[0] = 0.2f;
    g->data[1] = 1;
    image_to_bgr24(g, out, 6);
    const unsigned char grey[6] = {51, 51, 51, 255, 255, 255};
    for (int i = 0; i < 6; ++i) CHECK_MSG(out[i] == grey[i], "grey byte %d: %d, want %d", i, out[i], grey[i]);
    free_image(g);
}

TEST(video_bgr_round_trip_is_exact)
{
    /* every byte value survives bytes -> floats -> bytes */
    unsigned char in[256 * 3], out[256 * 3];
    for (int i = 0; i < 256 * 3; ++i) in[i] = (unsigned char)(i * 7 + i / 256);
    image *im = make_image(256, 1, 3);
    image_from_bgr24(im, in, sizeof in);
    image_to_bgr24(im, out, sizeof out);
    CHECK(memcmp(in, out, sizeof in) == 0);
    free_image(im);
}

/* A w x h frame: a horizontal ramp in red, frame number t in green. */
static void fill_frame(image *im, int t)
{
    for (int y = 0; y < im->h; ++y)
        for (int x = 0; x < im->w; ++x) {
            im->data[y * im->w + x] = (float)x / (im->w - 1);
            im->data[im->w * im->h + y * im->w + x] = 0.2f * t;
            im->data[2 * im->w * im->h + y * im->w + x] = 0.5f;
        }
}

TEST(video_avi_round_trip_or_rebuild_message)
{
    char dir[] = "/tmp/dn_video_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64], missing[64];
    snprintf(path, sizeof path, "%s/v.avi", dir);
    snprintf(missing, sizeof missing, "%s/none.avi", dir);
    dn_clear_error();
    video_reader *v = video_open_file(missing);
    CHECK(v == NULL);
    if (!video_supported()) {
        CHECK(strstr(dn_last_error(), "rebuild with make OPENCV=1") != NULL);
        CHECK(video_writer_open(path, 8, 8, 10) == NULL);
        rmdir(dir);
        return;
    }
    CHECK_MSG(strstr(dn_last_error(), "none.avi") != NULL, "message: %s", dn_last_error());
    dn_clear_error();
    CHECK(video_writer_open(path, 16, 8, 0) == NULL);            /* no rate */
    dn_clear_error();
    CHECK(video_writer_open("/tmp/x.mkv", 16, 8, 10) == NULL);   /* no codec chosen for .mkv */
    dn_clear_error();

    /* three 16x8 frames at 5 fps, read back: same count, size and rate;
     * pixels within Motion JPEG's loss (smooth content: a few levels of 255) */
    video_writer *vw = video_writer_open(path, 16, 8, 5);
    CHECK(vw != NULL);
    image *f = make_image(16, 8, 3);
    for (int t = 0; t < 3 && vw; ++t) {
        fill_frame(f, t);
        CHECK(video_write(vw, f) == 0);
    }
    image *wrong = make_image(8, 8, 3);
    if (vw) CHECK(video_write(vw, wrong) == -1);   /* not the writer's size */
    free_image(wrong);
    video_writer_close(vw);

    v = video_open_file(path);
    CHECK(v != NULL);
    int w = 0, h = 0, n = 0;
    double fps = 0;
    long claimed = 0;
    image *got = NULL;
    if (v) {
        video_reader_info(v, &w, &h, &fps, &claimed);
        CHECK(w == 16 && h == 8);
        CHECK_NEAR(fps, 5, 1e-6);
        while (video_read(v, &got) == 1) {
            fill_frame(f, n++);
            double err = 0;
            for (int i = 0; i < 16 * 8 * 3; ++i) err += fabs(got->data[i] - f->data[i]);
            CHECK_MSG(err / (16 * 8 * 3) < 6 / 255.0, "frame %d: mean error %g", n, err / (16 * 8 * 3));
        }
        CHECK(n == 3);
        CHECK(got && got->w == 16 && got->h == 8 && got->c == 3);
    }
    video_reader_close(v);
    free_image(got);
    free_image(f);
    unlink(path);
    rmdir(dir);
}

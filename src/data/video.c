/* video.c: pixel conversions for video frames, and the stand-ins for the
 * OpenCV shim (video_opencv.cpp) in builds without it. */
#include "video.h"

#include "errors.h"

void image_from_bgr24(image *im, const unsigned char *bgr, size_t stride)
{
    size_t plane = (size_t)im->w * im->h;
    for (int y = 0; y < im->h; ++y) {
        const unsigned char *row = bgr + (size_t)y * stride;
        float *r = im->data + (size_t)y * im->w;
        for (int x = 0; x < im->w; ++x) {
            r[x] = row[3 * x + 2] / 255.0f;
            r[x + plane] = row[3 * x + 1] / 255.0f;
            r[x + 2 * plane] = row[3 * x] / 255.0f;
        }
    }
}

static unsigned char to_byte(float v)
{
    if (!(v > 0)) return 0;   /* also NaN */
    if (v >= 1) return 255;
    return (unsigned char)(v * 255 + 0.5f);
}

void image_to_bgr24(const image *im, unsigned char *bgr, size_t stride)
{
    size_t plane = (size_t)im->w * im->h;
    /* grey images use their one plane for all three colours */
    size_t g = im->c >= 3 ? plane : 0, b = im->c >= 3 ? 2 * plane : 0;
    for (int y = 0; y < im->h; ++y) {
        unsigned char *row = bgr + (size_t)y * stride;
        const float *r = im->data + (size_t)y * im->w;
        for (int x = 0; x < im->w; ++x) {
            row[3 * x] = to_byte(r[x + b]);
            row[3 * x + 1] = to_byte(r[x + g]);
            row[3 * x + 2] = to_byte(r[x]);
        }
    }
}

#ifndef DN_OPENCV
/* Builds without OpenCV: every open fails with the same advice. */
static const char no_opencv[] = "built without OpenCV: rebuild with make OPENCV=1";

int video_supported(void) { return 0; }

video_reader *video_open_file(const char *path)
{
    (void)path;
    dn_error("%s", no_opencv);
    return NULL;
}

video_reader *video_open_camera(int index)
{
    (void)index;
    dn_error("%s", no_opencv);
    return NULL;
}

void video_reader_info(const video_reader *v, int *w, int *h, double *fps, long *frames)
{
    (void)v;
    *w = *h = 0;
    *fps = 0;
    *frames = -1;
}

int video_read(video_reader *v, image **frame)
{
    (void)v;
    (void)frame;
    return dn_error("%s", no_opencv);
}

void video_reader_close(video_reader *v) { (void)v; }

video_writer *video_writer_open(const char *path, int w, int h, double fps)
{
    (void)path;
    (void)w;
    (void)h;
    (void)fps;
    dn_error("%s", no_opencv);
    return NULL;
}

int video_write(video_writer *vw, const image *frame)
{
    (void)vw;
    (void)frame;
    return dn_error("%s", no_opencv);
}

void video_writer_close(video_writer *vw) { (void)vw; }

int video_show(const char *title, const image *frame, int wait_ms)
{
    (void)title;
    (void)frame;
    (void)wait_ms;
    dn_error("%s", no_opencv);
    return -2;
}

void video_close_windows(void) {}
#endif

/* video.h: video files, cameras and windows, for `detector demo`.
 *
 * Reading, writing and showing go through OpenCV (video_opencv.cpp, built
 * with `make OPENCV=1`); that shim only moves bytes. The pixel conversions
 * between OpenCV's 8-bit BGR rows and our float RGB images are here in C
 * (video.c) and are always built. Without OpenCV every open function fails
 * with "built without OpenCV: rebuild with make OPENCV=1".
 *
 * Functions that fail return NULL or -1 with the reason (and the path) in
 * dn_last_error(). */
#ifndef DN_VIDEO_H
#define DN_VIDEO_H

#include "darknet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when built with OpenCV (the functions below can work), else 0. */
int video_supported(void);

/* ---- pixel conversions (video.c) ---- */

/* Fills im (im->w x im->h, c = 3) from 8-bit BGR pixels, rows `stride` bytes
 * apart: value / 255, channels reordered to RGB. */
void image_from_bgr24(image *im, const unsigned char *bgr, size_t stride);
/* The reverse: each value clamped to [0, 1], times 255, rounded. Images with
 * one channel are written grey. */
void image_to_bgr24(const image *im, unsigned char *bgr, size_t stride);

/* ---- sources ---- */

typedef struct video_reader video_reader;

video_reader *video_open_file(const char *path);
video_reader *video_open_camera(int index);
/* Frame size, frames per second (0 when the source does not say) and the
 * frame count the container claims (-1 when unknown, e.g. a camera). */
void video_reader_info(const video_reader *v, int *w, int *h, double *fps, long *frames);
/* The next frame into *frame, (re)allocated when absent or of another size.
 * Returns 1 with a frame, 0 at the end of the video, -1 on error. */
int video_read(video_reader *v, image **frame);
void video_reader_close(video_reader *v);   /* NULL is fine */

/* ---- writers ---- */

typedef struct video_writer video_writer;

/* A w x h video at fps frames per second: Motion JPEG for .avi (needs no
 * codec library), MPEG-4 part 2 for .mp4; other extensions are an error. */
video_writer *video_writer_open(const char *path, int w, int h, double fps);
/* Writes one frame of the writer's size. Returns 0 or -1. */
int video_write(video_writer *vw, const image *frame);
/* Finishes the file; NULL is fine. */
void video_writer_close(video_writer *vw);

/* ---- windows ---- */

/* Shows the frame in window `title` and waits up to wait_ms (>= 1) for a
 * key. Returns the key's code, -1 when none was pressed, or -2 when no
 * window can be opened (OpenCV without a GUI backend; the message says why). */
int video_show(const char *title, const image *frame, int wait_ms);
void video_close_windows(void);

#ifdef __cplusplus
}
#endif

#endif

/* detector_demo.c: `detector demo DATA CFG WEIGHTS VIDEO|-c CAM`: detects on
 * every frame of a video file or camera, draws the labelled boxes, writes the
 * frames to -out_filename and shows them in a window. Needs OpenCV (video.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "data_cfg.h"
#include "detector_cmds.h"
#include "errors.h"
#include "progress.h"
#include "video.h"

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* The boxes of one frame above thresh, one per (detection, class), in the
 * frame's coordinates; arrays grown as needed. */
typedef struct {
    box *boxes;
    int *classes;
    float *scores;
    int n, cap;
} frame_boxes;

static int collect(frame_boxes *f, const detection *d, int n, float thresh, const letterbox_geom *g)
{
    f->n = 0;
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < d[i].classes; ++k) {
            if (d[i].prob[k] <= thresh) continue;
            if (f->n == f->cap) {
                int cap = f->cap ? 2 * f->cap : 64;
                box *b = realloc(f->boxes, sizeof *b * cap);
                if (b) f->boxes = b;
                int *c = realloc(f->classes, sizeof *c * cap);
                if (c) f->classes = c;
                float *s = realloc(f->scores, sizeof *s * cap);
                if (s) f->scores = s;
                if (!b || !c || !s) return dn_error("out of memory for %d boxes", cap);
                f->cap = cap;
            }
            f->boxes[f->n] = letterbox_box_to_image(g, d[i].bbox);
            f->classes[f->n] = k;
            f->scores[f->n++] = d[i].prob[k];
        }
    return 0;
}

/* Detects on one frame and draws the result into it; returns the box count or -1. */
static int detect_frame(network *net, image *frame, float thresh, frame_boxes *f, char **names, int n_names)
{
    letterbox_geom g;
    image *in = letterbox_image(frame, network_width(net), network_height(net), &g);
    if (!in) return -1;
    network_predict(net, in->data);
    free_image(in);
    int n = 0;
    detection *d = get_network_boxes(net, thresh, &n);
    if (!d) return -1;
    int failed = collect(f, d, n, thresh, &g);
    free_detections(d, n);
    if (failed) return -1;
    draw_detections(frame, f->boxes, f->classes, f->scores, f->n, (const char *const *)names, n_names);
    return f->n;
}

int detector_demo(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    float thresh = arg_float(&a, "-thresh", 0.25f);
    int cam = arg_int(&a, "-c", -1);
    const char *out = arg_str(&a, "-out_filename", NULL);
    int dont_show = arg_flag(&a, "-dont_show");
    int max_frames = arg_int(&a, "-frames", 0);
    const char *data_path = arg_pos(&a, 0), *cfg = arg_pos(&a, 1), *weights = arg_pos(&a, 2),
               *video = arg_pos(&a, 3);
    if (args_check(&a) || !weights || (video != NULL) == (cam >= 0) || arg_pos(&a, 4) || max_frames < 0)
        return usage_error("detector");
    if (!video_supported()) {
        fprintf(stderr, "darknet detector demo: built without OpenCV: rebuild with make OPENCV=1\n");
        return 1;
    }
    /* the source first: a wrong path fails before the network is built */
    video_reader *src = video ? video_open_file(video) : video_open_camera(cam);
    data_cfg *data = src ? data_cfg_read(data_path) : NULL;
    network *net = data ? load_network_frozen(cfg, weights) : NULL;
    int n_names = 0, frames = 0, rc = 1, w = 0, h = 0, show = 0, shown = 0, failed = 0;
    char **names = net && data->names ? read_names(data->names, &n_names) : NULL;
    video_writer *vw = NULL;
    image *frame = NULL;
    frame_boxes fb = {0};
    if (!net || (data->names && !names) || set_batch_network(net, 1)) goto done;
    double fps;
    long claimed;
    video_reader_info(src, &w, &h, &fps, &claimed);
    if (fps <= 0) fps = 25;   /* cameras often do not say; the writer needs a rate */
    if (out && !(vw = video_writer_open(out, w, h, fps))) goto done;
    /* a window needs a display: without one OpenCV's GUI would end the process */
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    show = !dont_show && ((x && *x) || (wl && *wl));
    if (!dont_show && !show) printf("no DISPLAY: running without a window (as -dont_show)\n");
    if (claimed > 0)
        printf("%s: %ld frames of %dx%d at %.3g fps", video ? video : "camera", claimed, w, h, fps);
    else
        printf("%s: %dx%d at %.3g fps", video ? video : "camera", w, h, fps);
    printf("%s%s%s\n", out ? ", writing " : "", out ? out : "", show ? "; Esc in the window stops" : "");
    /* report about once a second of video */
    int every = fps >= 1.5 ? (int)(fps + 0.5) : 1;
    interrupted = 0;
    void (*old)(int) = signal(SIGINT, on_interrupt);
    double start = progress_now_ms();
    while (!interrupted && (!max_frames || frames < max_frames)) {
        int r = video_read(src, &frame);
        if (r <= 0) {
            failed = r < 0;
            break;
        }
        int n = detect_frame(net, frame, thresh, &fb, names, n_names);
        if ((failed = n < 0 || (vw && video_write(vw, frame)))) break;
        ++frames;
        if (frames == 1 || frames % every == 0) printf("frame %d: %d detections\n", frames, n);
        if (show) {
            int key = video_show("darknet demo", frame, 1);
            shown = 1;
            if (key == 27) break;
            if (key == -2) {
                fprintf(stderr, "darknet detector demo: %s; going on without it\n", dn_last_error());
                dn_clear_error();
                show = 0;
            }
        }
    }
    double seconds = (progress_now_ms() - start) / 1000;
    signal(SIGINT, old);
    if (!failed) {
        if (interrupted) printf("interrupted: closing the video\n");
        printf("demo frames=%d fps=%.2f\n", frames, seconds > 0 ? frames / seconds : 0.0);
        rc = 0;
    }
done:
    if (rc) fprintf(stderr, "darknet detector demo: %s\n", dn_last_error());
    video_writer_close(vw);
    video_reader_close(src);
    if (shown) video_close_windows();
    free_image(frame);
    free(fb.boxes);
    free(fb.classes);
    free(fb.scores);
    free_string_list(names, n_names);
    free_network(net);
    data_cfg_free(data);
    return rc;
}

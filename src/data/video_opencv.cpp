/* video_opencv.cpp: video.h through OpenCV (built with make OPENCV=1 only).
 * This file only moves bytes between OpenCV and the C side: the pixel
 * conversions are in video.c. No C++ exception crosses into C: each one
 * becomes a dn_error() and an error return. */
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "video.h"

extern "C" {
#include "errors.h"
}

struct video_reader {
    cv::VideoCapture cap;
    cv::Mat mat;
    std::string name;   /* for messages: the path or "camera N" */
};

struct video_writer {
    cv::VideoWriter out;
    cv::Mat mat;        /* the frame in BGR bytes */
    std::string path;
};

int video_supported(void) { return 1; }

/* OpenCV logs each backend it tries and fails with; our one message says
 * what went wrong. OPENCV_LOG_LEVEL, when set, keeps OpenCV's say. */
static void quiet_opencv(void)
{
    if (!std::getenv("OPENCV_LOG_LEVEL")) cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
}

static video_reader *open_source(video_reader *v, const char *causes)
{
    if (!v->cap.isOpened()) {
        dn_error("cannot open %s: OpenCV could not read it (%s; OPENCV_LOG_LEVEL=INFO shows why)",
                 v->name.c_str(), causes);
        delete v;
        return NULL;
    }
    return v;
}

video_reader *video_open_file(const char *path)
{
    /* OpenCV's own failure says little; the usual causes get a clear message */
    struct stat st;
    if (stat(path, &st) != 0) {
        dn_error("cannot open video '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        dn_error("cannot open video '%s': it is a directory", path);
        return NULL;
    }
    video_reader *v = new (std::nothrow) video_reader;
    if (!v) {
        dn_error("out of memory opening video '%s'", path);
        return NULL;
    }
    v->name = std::string("video '") + path + "'";
    quiet_opencv();
    try {
        v->cap.open(path);
    } catch (const std::exception &e) {
        dn_error("cannot open video '%s': %s", path, e.what());
        delete v;
        return NULL;
    }
    return open_source(v, "not a video, or no decoder for it");
}

video_reader *video_open_camera(int index)
{
    video_reader *v = new (std::nothrow) video_reader;
    if (!v) {
        dn_error("out of memory opening camera %d", index);
        return NULL;
    }
    v->name = "camera " + std::to_string(index);
    quiet_opencv();
    try {
        v->cap.open(index);
    } catch (const std::exception &e) {
        dn_error("cannot open camera %d: %s", index, e.what());
        delete v;
        return NULL;
    }
    return open_source(v, "no such camera, or it is busy");
}

void video_reader_info(const video_reader *v, int *w, int *h, double *fps, long *frames)
{
    cv::VideoCapture &cap = const_cast<cv::VideoCapture &>(v->cap);   /* get() is not const */
    *w = (int)cap.get(cv::CAP_PROP_FRAME_WIDTH);
    *h = (int)cap.get(cv::CAP_PROP_FRAME_HEIGHT);
    *fps = cap.get(cv::CAP_PROP_FPS);
    if (!(*fps > 0 && *fps < 1000)) *fps = 0;
    double n = cap.get(cv::CAP_PROP_FRAME_COUNT);
    *frames = n > 0 ? (long)n : -1;
}

int video_read(video_reader *v, image **frame)
{
    try {
        if (!v->cap.read(v->mat) || v->mat.empty()) return 0;
        if (v->mat.type() == CV_8UC1) cv::cvtColor(v->mat, v->mat, cv::COLOR_GRAY2BGR);
        if (v->mat.type() != CV_8UC3)
            return dn_error("%s: frames of OpenCV type %d, not 8-bit BGR", v->name.c_str(), v->mat.type());
    } catch (const std::exception &e) {
        return dn_error("%s: reading a frame: %s", v->name.c_str(), e.what());
    }
    int w = v->mat.cols, h = v->mat.rows;
    if (!*frame || (*frame)->w != w || (*frame)->h != h || (*frame)->c != 3) {
        free_image(*frame);
        if (!(*frame = make_image(w, h, 3))) return -1;
    }
    image_from_bgr24(*frame, v->mat.data, v->mat.step);
    return 1;
}

void video_reader_close(video_reader *v) { delete v; }

static std::string lower_extension(const std::string &path)
{
    size_t dot = path.rfind('.'), slash = path.rfind('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
    std::string ext = path.substr(dot + 1);
    for (char &ch : ext) ch = (char)std::tolower((unsigned char)ch);
    return ext;
}

video_writer *video_writer_open(const char *path, int w, int h, double fps)
{
    std::string ext = lower_extension(path);
    int fourcc;
    if (ext == "avi")
        fourcc = cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
    else if (ext == "mp4")
        fourcc = cv::VideoWriter::fourcc('m', 'p', '4', 'v');
    else {
        dn_error("cannot write video '%s': the name must end in .avi (Motion JPEG) or .mp4", path);
        return NULL;
    }
    if (w < 1 || h < 1 || !(fps > 0)) {
        dn_error("cannot write video '%s': bad size %dx%d or rate %g", path, w, h, fps);
        return NULL;
    }
    video_writer *vw = new (std::nothrow) video_writer;
    if (!vw) {
        dn_error("out of memory opening video '%s' for writing", path);
        return NULL;
    }
    vw->path = path;
    quiet_opencv();
    try {
        vw->mat.create(h, w, CV_8UC3);
        if (vw->out.open(path, fourcc, fps, cv::Size(w, h), true)) return vw;
        dn_error("cannot write video '%s': OpenCV could not open it (directory missing or not writable, "
                 "or no %s encoder; OPENCV_LOG_LEVEL=INFO shows why)", path, ext == "avi" ? "Motion JPEG" : "MPEG-4");
    } catch (const std::exception &e) {
        dn_error("cannot write video '%s': %s", path, e.what());
    }
    delete vw;
    return NULL;
}

int video_write(video_writer *vw, const image *frame)
{
    if (frame->w != vw->mat.cols || frame->h != vw->mat.rows)
        return dn_error("video '%s': a %dx%d frame for a %dx%d video", vw->path.c_str(), frame->w, frame->h,
                        vw->mat.cols, vw->mat.rows);
    image_to_bgr24(frame, vw->mat.data, vw->mat.step);
    try {
        vw->out.write(vw->mat);
    } catch (const std::exception &e) {
        return dn_error("video '%s': writing a frame: %s", vw->path.c_str(), e.what());
    }
    return 0;
}

void video_writer_close(video_writer *vw)
{
    if (!vw) return;
    try {
        vw->out.release();   /* writes the index (.avi) or moov atom (.mp4) */
    } catch (const std::exception &e) {
        dn_warn("video '%s': finishing the file: %s", vw->path.c_str(), e.what());
    }
    delete vw;
}

int video_show(const char *title, const image *frame, int wait_ms)
{
    try {
        cv::Mat m(frame->h, frame->w, CV_8UC3);
        image_to_bgr24(frame, m.data, m.step);
        cv::imshow(title, m);
        return cv::waitKey(wait_ms < 1 ? 1 : wait_ms);
    } catch (const std::exception &e) {
        dn_error("cannot show a window: %s", e.what());
        return -2;
    }
}

void video_close_windows(void)
{
    try {
        cv::destroyAllWindows();
    } catch (const std::exception &) {
        /* no GUI backend: there is no window to close */
    }
}

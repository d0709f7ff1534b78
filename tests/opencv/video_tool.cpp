// video_tool: makes and measures videos for tests/cli/demo.sh, with OpenCV
// only (independent of darknet's own video code, so the test reads the
// demo's output the way any player would).
//   video_tool make OUT.avi|.mp4 W H FPS IMAGE...  the images, resized to W x H, as frames
//   video_tool info VIDEO        frames=N width=W height=H fps=F (frames counted by reading)
//   video_tool diff A B          mean |A - B| over all pixels of all frames (0..255), or an
//                                error when the frame counts or sizes differ
//   video_tool frame VIDEO I OUT.png   frame I (from 0) as an image, to look at
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

static int fail(const std::string &msg)
{
    std::fprintf(stderr, "video_tool: %s\n", msg.c_str());
    return 1;
}

static int make(int argc, char **argv)
{
    if (argc < 6) return fail("make OUT W H FPS IMAGE...");
    std::string out = argv[1];
    int w = std::atoi(argv[2]), h = std::atoi(argv[3]);
    double fps = std::atof(argv[4]);
    bool avi = out.size() > 4 && out.substr(out.size() - 4) == ".avi";
    int fourcc = avi ? cv::VideoWriter::fourcc('M', 'J', 'P', 'G') : cv::VideoWriter::fourcc('m', 'p', '4', 'v');
    cv::VideoWriter vw(out, fourcc, fps, cv::Size(w, h), true);
    if (!vw.isOpened()) return fail("cannot write " + out);
    for (int i = 5; i < argc; ++i) {
        cv::Mat im = cv::imread(argv[i], cv::IMREAD_COLOR), sized;
        if (im.empty()) return fail(std::string("cannot read ") + argv[i]);
        cv::resize(im, sized, cv::Size(w, h), 0, 0, cv::INTER_AREA);
        vw.write(sized);
    }
    return 0;
}

static int info(const char *path)
{
    cv::VideoCapture cap(path);
    if (!cap.isOpened()) return fail(std::string("cannot open ") + path);
    cv::Mat m;
    long n = 0;
    int w = 0, h = 0;
    while (cap.read(m) && !m.empty()) {
        if (n && (m.cols != w || m.rows != h)) return fail("frames of different sizes");
        w = m.cols;
        h = m.rows;
        ++n;
    }
    std::printf("frames=%ld width=%d height=%d fps=%g\n", n, w, h, cap.get(cv::CAP_PROP_FPS));
    return 0;
}

static int diff(const char *a_path, const char *b_path)
{
    cv::VideoCapture a(a_path), b(b_path);
    if (!a.isOpened() || !b.isOpened()) return fail("cannot open both videos");
    cv::Mat fa, fb, d;
    double sum = 0;
    long values = 0;
    for (;;) {
        bool ga = a.read(fa) && !fa.empty(), gb = b.read(fb) && !fb.empty();
        if (ga != gb) return fail("different frame counts");
        if (!ga) break;
        if (fa.size() != fb.size()) return fail("different frame sizes");
        cv::absdiff(fa, fb, d);
        sum += cv::sum(d)[0] + cv::sum(d)[1] + cv::sum(d)[2];
        values += (long)d.total() * 3;
    }
    if (!values) return fail("no frames");
    std::printf("mean_abs_diff=%.3f\n", sum / values);
    return 0;
}

static int frame(const char *path, int index, const char *out)
{
    cv::VideoCapture cap(path);
    cv::Mat m;
    for (int i = 0; i <= index; ++i)
        if (!cap.read(m) || m.empty()) return fail("no such frame");
    return cv::imwrite(out, m) ? 0 : fail(std::string("cannot write ") + out);
}

int main(int argc, char **argv)
{
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "make") return make(argc - 1, argv + 1);
    if (cmd == "info" && argc == 3) return info(argv[2]);
    if (cmd == "diff" && argc == 4) return diff(argv[2], argv[3]);
    if (cmd == "frame" && argc == 5) return frame(argv[2], std::atoi(argv[3]), argv[4]);
    return fail("usage: video_tool make|info|diff|frame ... (see the source)");
}

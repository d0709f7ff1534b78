// opencv_check: runs a darknet cfg + weights through OpenCV's own darknet reader
// (cv::dnn::readNetFromDarknet) and writes chosen layers' outputs as raw
// little-endian float32 files, for tests/cli/opencv_crosscheck.sh to compare
// with this project's forward pass.
//
// usage: opencv_check CFG WEIGHTS INPUT.bin OUTDIR LAYER...
//   INPUT.bin  raw float32 NCHW images; C, H, W come from the cfg's [net]
//              section, the batch from the file size
//   LAYER      an OpenCV layer name (conv_3, bn_3, yolo_9, ...) or #N: the
//              OpenCV layer whose output is darknet layer N's output (for a
//              leaky layer N that is leaky_<N+1>, see layer_for_index).
//              A :K suffix keeps the first K values of each row of a 2-D
//              output (yolo_9:5 = x, y, w, h, objectness).
//   Writes OUTDIR/<LAYER with '#' and ':' replaced by '_'>.bin.
// Exit status 0 on success; 1 with a message on stderr otherwise.
#include <opencv2/dnn.hpp>

#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

// [net] width/height/channels of a darknet cfg (comments and spaces ignored).
std::map<std::string, int> net_shape(const std::string &cfg)
{
    std::ifstream in(cfg);
    std::map<std::string, int> v{{"width", 0}, {"height", 0}, {"channels", 3}};
    std::string line;
    bool in_net = false;
    while (std::getline(in, line)) {
        std::string s;
        for (char ch : line) {
            if (ch == '#' || ch == ';') break;
            if (!isspace(static_cast<unsigned char>(ch))) s += ch;
        }
        if (s.empty()) continue;
        if (s[0] == '[') {
            in_net = s == "[net]" || s == "[network]";
            continue;
        }
        size_t eq = s.find('=');
        if (in_net && eq != std::string::npos && v.count(s.substr(0, eq))) v[s.substr(0, eq)] = std::stoi(s.substr(eq + 1));
    }
    return v;
}

bool ends_with(const std::string &s, const std::string &tail)
{
    return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool is_activation(const std::string &name)
{
    for (const char *p : {"leaky_", "relu_", "swish_", "mish_", "logistic_"})
        if (name.rfind(p, 0) == 0) return true;
    return false;
}

// The OpenCV layer whose output is darknet layer N's output. For darknet layer
// N OpenCV makes, in order, e.g. conv_N, bn_N and then the activation, which it
// names after the NEXT index (leaky_<N+1> in 4.6, relu_<N+1> in other versions:
// its counter has already moved on); or permute_N, yolo_N for [yolo].
// getLayerNames() lists the layers in creation order.
std::string layer_for_index(const cv::dnn::Net &net, const std::string &n)
{
    std::vector<cv::String> names = net.getLayerNames();
    std::string own = "_" + n, next = "_" + std::to_string(std::stoi(n) + 1);
    size_t i = 0;
    while (i < names.size() && (is_activation(names[i]) || !ends_with(names[i], own))) ++i;
    if (i == names.size()) return "";
    while (i + 1 < names.size() && !is_activation(names[i + 1]) && ends_with(names[i + 1], own)) ++i;
    if (i + 1 < names.size() && is_activation(names[i + 1]) && ends_with(names[i + 1], next)) ++i;
    return names[i];
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 6) {
        std::cerr << "usage: opencv_check CFG WEIGHTS INPUT.bin OUTDIR LAYER...\n";
        return 1;
    }
    try {
        auto shape = net_shape(argv[1]);
        int c = shape["channels"], h = shape["height"], w = shape["width"];
        if (w <= 0 || h <= 0 || c <= 0) {
            std::cerr << argv[1] << ": no width/height/channels in [net]\n";
            return 1;
        }
        std::ifstream in(argv[3], std::ios::binary | std::ios::ate);
        size_t bytes = in ? static_cast<size_t>(in.tellg()) : 0;
        size_t per_image = sizeof(float) * c * h * w;
        if (!bytes || bytes % per_image) {
            std::cerr << argv[3] << ": " << bytes << " bytes is not a whole number of " << c << "x" << h << "x" << w
                      << " float images\n";
            return 1;
        }
        int batch = static_cast<int>(bytes / per_image);
        int dims[4] = {batch, c, h, w};
        cv::Mat blob(4, dims, CV_32F);
        in.seekg(0);
        in.read(reinterpret_cast<char *>(blob.ptr<float>()), static_cast<std::streamsize>(bytes));

        cv::dnn::Net net = cv::dnn::readNetFromDarknet(argv[1], argv[2]);
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        net.enableFusion(false);  // compare each layer as darknet computes it
        net.setInput(blob);

        std::vector<std::string> names, files;
        std::vector<int> keep;
        for (int i = 5; i < argc; ++i) {
            std::string spec = argv[i], name = spec;
            int cols = 0;
            size_t colon = spec.find(':');
            if (colon != std::string::npos) {
                name = spec.substr(0, colon);
                cols = std::stoi(spec.substr(colon + 1));
            }
            if (!name.empty() && name[0] == '#') {
                std::string found = layer_for_index(net, name.substr(1));
                if (found.empty()) {
                    std::cerr << "no OpenCV layer for darknet layer " << name.substr(1) << "\n";
                    return 1;
                }
                name = found;
            }
            for (char &ch : spec)
                if (ch == '#' || ch == ':') ch = '_';
            names.push_back(name);
            files.push_back(std::string(argv[4]) + "/" + spec + ".bin");
            keep.push_back(cols);
        }
        std::vector<cv::Mat> outs;
        net.forward(outs, names);
        for (size_t i = 0; i < outs.size(); ++i) {
            cv::Mat m = outs[i].isContinuous() ? outs[i] : outs[i].clone();
            std::ofstream out(files[i], std::ios::binary);
            const float *p = m.ptr<float>();
            size_t total = m.total();
            if (keep[i] > 0) {
                if (m.dims != 2 || keep[i] > m.size[1]) {
                    std::cerr << names[i] << ": cannot keep " << keep[i] << " columns of this output\n";
                    return 1;
                }
                for (int r = 0; r < m.size[0]; ++r)
                    out.write(reinterpret_cast<const char *>(p + static_cast<size_t>(r) * m.size[1]),
                              sizeof(float) * keep[i]);
            } else {
                out.write(reinterpret_cast<const char *>(p), static_cast<std::streamsize>(sizeof(float) * total));
            }
            if (!out) {
                std::cerr << "cannot write " << files[i] << "\n";
                return 1;
            }
            std::cerr << names[i] << " -> " << files[i] << "\n";
        }
    } catch (const cv::Exception &e) {
        std::cerr << "OpenCV: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

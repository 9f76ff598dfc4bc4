// OpenCV's cascade classifier behind the C interface of cascade.h.
// C++17; nothing here throws past the interface: every entry catches all.
#include "detect/cascade.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

struct dt_cascade {
    cv::CascadeClassifier clf;
    // detectMultiScale() keeps per-call state in the classifier.
    std::mutex lock;
};

namespace {

void say(char *why, size_t why_len, const char *what, const char *detail)
{
    if (why && why_len)
        std::snprintf(why, why_len, "%s%s%s", what, detail && *detail ? ": " : "",
                      detail ? detail : "");
}

// OpenCV's messages span lines ("OpenCV(4.6.0) file:line: error: (-215:...) ..."):
// keep the first line.
void say_cv(char *why, size_t why_len, const char *what, const cv::Exception &e)
{
    std::string m = e.msg;
    size_t nl = m.find('\n');
    if (nl != std::string::npos)
        m.resize(nl);
    say(why, why_len, what, m.c_str());
}

}  // namespace

extern "C" dt_cascade *dt_cascade_load(const char *path, char *why, size_t why_len)
{
    dt_cascade *c = nullptr;
    try {
        c = new dt_cascade;
        if (c->clf.load(path) && !c->clf.empty())
            return c;
        say(why, why_len, "not a cascade OpenCV can load", nullptr);
    } catch (const cv::Exception &e) {
        say_cv(why, why_len, "not a cascade OpenCV can load", e);
    } catch (const std::exception &e) {
        say(why, why_len, "cannot load the cascade", e.what());
    } catch (...) {
        say(why, why_len, "cannot load the cascade", "unknown failure");
    }
    delete c;
    return nullptr;
}

extern "C" void dt_cascade_free(dt_cascade *c)
{
    delete c;
}

extern "C" unsigned char *dt_grey(const unsigned char *pixels, int width, int height, int bands,
                                  size_t stride, int out_w, int out_h, char *why, size_t why_len)
{
    unsigned char *buf = nullptr;
    try {
        cv::Mat in(height, width, bands == 4 ? CV_8UC4 : CV_8UC3,
                   const_cast<unsigned char *>(pixels), stride);
        cv::Mat grey;
        cv::cvtColor(in, grey, bands == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);
        buf = static_cast<unsigned char *>(std::malloc((size_t)out_w * (size_t)out_h));
        if (!buf) {
            say(why, why_len, "out of memory", nullptr);
            return nullptr;
        }
        cv::Mat out(out_h, out_w, CV_8UC1, buf, (size_t)out_w);
        if (out_w == width && out_h == height)
            grey.copyTo(out);
        else
            cv::resize(grey, out, out.size(), 0, 0,
                       out_w < width ? cv::INTER_AREA : cv::INTER_LINEAR);
        return buf;
    } catch (const cv::Exception &e) {
        say_cv(why, why_len, "cannot make the grey working copy", e);
    } catch (const std::exception &e) {
        say(why, why_len, "cannot make the grey working copy", e.what());
    } catch (...) {
        say(why, why_len, "cannot make the grey working copy", "unknown failure");
    }
    std::free(buf);
    return nullptr;
}

extern "C" int dt_cascade_find(dt_cascade *c, const unsigned char *grey, int width, int height,
                               const int roi[4], double scale, double min_px, double max_px,
                               int min_neighbours, dt_box *out, int max_out, char *why,
                               size_t why_len)
{
    try {
        cv::Mat full(height, width, CV_8UC1, const_cast<unsigned char *>(grey), (size_t)width);
        cv::Rect r = cv::Rect(roi[0], roi[1], roi[2], roi[3]) & cv::Rect(0, 0, width, height);
        if (r.width < 8 || r.height < 8)
            return 0;
        cv::Mat work;
        if (std::fabs(scale - 1.0) > 1e-6)
            cv::resize(full(r), work, cv::Size(), scale, scale,
                       scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        else
            work = full(r);
        cv::Mat eq;
        cv::equalizeHist(work, eq);
        int lo = std::max(8, (int)std::lround(min_px * scale));
        int hi = std::max(lo + 1, (int)std::lround(max_px * scale));
        std::vector<cv::Rect> found;
        std::vector<int> hits;
        {
            std::lock_guard<std::mutex> g(c->lock);
            c->clf.detectMultiScale(eq, found, hits, 1.05, min_neighbours, 0, cv::Size(lo, lo),
                                    cv::Size(hi, hi));
        }
        std::vector<size_t> order(found.size());
        for (size_t i = 0; i < order.size(); i++)
            order[i] = i;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            int ha = a < hits.size() ? hits[a] : 0, hb = b < hits.size() ? hits[b] : 0;
            return ha > hb;
        });
        int n = 0;
        for (size_t k = 0; k < order.size() && n < max_out; k++) {
            const cv::Rect &f = found[order[k]];
            out[n].x = r.x + f.x / scale;
            out[n].y = r.y + f.y / scale;
            out[n].w = f.width / scale;
            out[n].h = f.height / scale;
            out[n].neighbours = order[k] < hits.size() ? hits[order[k]] : 0;
            n++;
        }
        return n;
    } catch (const cv::Exception &e) {
        say_cv(why, why_len, "the cascade failed", e);
    } catch (const std::exception &e) {
        say(why, why_len, "the cascade failed", e.what());
    } catch (...) {
        say(why, why_len, "the cascade failed", "unknown failure");
    }
    return -1;
}

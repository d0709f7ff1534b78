#include "gpu_test.h"

gpu_ctx *test_gpu(void)
{
    static gpu_ctx *g;
    if (!g) g = gpu_ctx_create(0);
    CHECK_MSG(g, "no GPU to test on: %s", dn_last_error());
    return g;
}

device_vector::device_vector(gpu_ctx *ctx, const std::vector<float> &host) : g(ctx), p(NULL), n(host.size())
{
    if (g) p = gpu_alloc(g, n);
    if (p && gpu_push(g, p, host.data(), n)) CHECK_MSG(0, "push: %s", dn_last_error());
}

device_vector::~device_vector() { gpu_free(g, p, n); }

std::vector<float> device_vector::pull() const
{
    std::vector<float> host(n);
    if (p && gpu_pull(g, host.data(), p, n)) CHECK_MSG(0, "pull: %s", dn_last_error());
    return host;
}

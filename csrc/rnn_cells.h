// Per-unit recurrent-cell arithmetic for the SampleRNN engine (docs/architecture.md).
//
// Pure PYSYNTH_HD inline functions, so a CUDA kernel computes exactly the arithmetic the
// CPU engine (and hence the CPU tests) use. The matrix products that feed them (x @ kernel,
// h @ recurrent_kernel) are done elsewhere, batched over streams.
#pragma once

#include <cmath>

#include "common.h"

namespace pysynth {

// Sample index q in [0, levels) -> unit value in [-1, 1] (frame tiers' input feature).
PYSYNTH_HD float index_to_unit(int q, int levels) {
  return 2.0f * static_cast<float>(q) / static_cast<float>(levels - 1) - 1.0f;
}

// One unit of a Keras GRU with reset_after=True, gate columns [z, r, h].
// x* are the input projections (x @ W + b) and h* the recurrent ones (h @ U + c) of
// the unit's three gates; returns the new state h'.
PYSYNTH_HD float gru_unit(float xz, float xr, float xh, float hz, float hr, float hh, float h) {
  const float z = sigmoidf(xz + hz);
  const float r = sigmoidf(xr + hr);
  const float n = tanhf(xh + r * hh);
  return z * h + (1.0f - z) * n;
}

// One unit of a Keras LSTM, gate columns [i, f, c, o]; the g* are the summed projections
// (x @ W + h @ U + b). Updates the cell state c in place and returns the new output h'.
PYSYNTH_HD float lstm_unit(float gi, float gf, float gc, float go, float& c) {
  c = sigmoidf(gf) * c + sigmoidf(gi) * tanhf(gc);
  return sigmoidf(go) * tanhf(c);
}

// A GRU layer's update for one stream: xg, hg are the (3H) projections, h (H) updated in place.
PYSYNTH_HD void gru_update(const float* xg, const float* hg, float* h, int H) {
  for (int j = 0; j < H; ++j)
    h[j] = gru_unit(xg[j], xg[H + j], xg[2 * H + j], hg[j], hg[H + j], hg[2 * H + j], h[j]);
}

// An LSTM layer's update for one stream: g is the (4H) summed projection; h, c (H) in place.
PYSYNTH_HD void lstm_update(const float* g, float* h, float* c, int H) {
  for (int j = 0; j < H; ++j) h[j] = lstm_unit(g[j], g[H + j], g[2 * H + j], g[3 * H + j], c[j]);
}

}  // namespace pysynth

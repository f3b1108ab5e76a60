// A whole-sequence LSTM layer (flax's gate order i, f, g, o; one bias) as XLA FFI handlers over
// oneDNN's fused recurrent primitive: the time loop runs inside oneDNN, not as an XLA `while`.
// Shapes: x [B, T, C], h0 and c0 [B, H], w_ih [C, 4H], w_hh [H, 4H], b [4H], y [B, T, H].
// The forward pass hands oneDNN's workspace (bytes, size from LayerwiseLstmWorkspaceBytes) to
// the backward pass.

#include <cstring>
#include <string>

#include "onednn.h"

namespace layerwise {
namespace {

constexpr auto kF32 = memory::data_type::f32;
constexpr auto kAny = memory::format_tag::any;

struct Dims {
  int64_t t, n, c, h;
  memory::desc Layer(int64_t features, memory::format_tag tag = memory::format_tag::ntc) const {
    return {{t, n, features}, kF32, tag};
  }
  memory::desc State(memory::format_tag tag = memory::format_tag::ldnc) const { return {{1, 1, n, h}, kF32, tag}; }
  memory::desc InputWeights(memory::format_tag tag = memory::format_tag::ldigo) const {
    return {{1, 1, c, 4, h}, kF32, tag};
  }
  memory::desc RecurrentWeights(memory::format_tag tag = memory::format_tag::ldigo) const {
    return {{1, 1, h, 4, h}, kF32, tag};
  }
  memory::desc Bias() const { return {{1, 1, 4, h}, kF32, memory::format_tag::ldgo}; }
};

dnnl::lstm_forward::primitive_desc ForwardDesc(const Dims& d) {
  return {Engine(), dnnl::prop_kind::forward_training, dnnl::rnn_direction::unidirectional_left2right,
          d.Layer(d.c), d.State(), d.State(), d.InputWeights(kAny), d.RecurrentWeights(kAny), d.Bias(),
          d.Layer(d.h), d.State(), d.State(), UserScratchpad()};
}

struct Forward {
  dnnl::lstm_forward::primitive_desc pd;
  dnnl::lstm_forward compute;
  dnnl::reorder input_weights, recurrent_weights;
};

struct Backward {
  dnnl::lstm_backward::primitive_desc pd;
  dnnl::lstm_backward compute;
  dnnl::reorder input_weights, recurrent_weights, input_grad, recurrent_grad;
};

dnnl::reorder Reorder(const memory::desc& from, const memory::desc& to) {
  return dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), from, Engine(), to));
}

std::shared_ptr<const Forward> GetForward(const Dims& d) {
  static layerwise::Cache<Forward> cache;
  return cache.Get(layerwise::Key({d.t, d.n, d.c, d.h}), [&]() -> Forward {
    auto pd = ForwardDesc(d);
    return {pd, dnnl::lstm_forward(pd), Reorder(d.InputWeights(), pd.weights_layer_desc()),
            Reorder(d.RecurrentWeights(), pd.weights_iter_desc())};
  });
}

std::shared_ptr<const Backward> GetBackward(const Dims& d) {
  static layerwise::Cache<Backward> cache;
  return cache.Get(layerwise::Key({d.t, d.n, d.c, d.h}), [&]() -> Backward {
    auto forward = ForwardDesc(d);
    dnnl::lstm_backward::primitive_desc pd(
        Engine(), dnnl::prop_kind::backward, dnnl::rnn_direction::unidirectional_left2right, d.Layer(d.c),
        d.State(), d.State(), d.InputWeights(kAny), d.RecurrentWeights(kAny), d.Bias(), d.Layer(d.h), d.State(),
        d.State(), d.Layer(d.c), d.State(), d.State(), d.InputWeights(kAny), d.RecurrentWeights(kAny), d.Bias(),
        d.Layer(d.h), d.State(), d.State(), forward, UserScratchpad());
    return {pd, dnnl::lstm_backward(pd), Reorder(d.InputWeights(), pd.weights_layer_desc()),
            Reorder(d.RecurrentWeights(), pd.weights_iter_desc()),
            Reorder(pd.diff_weights_layer_desc(), d.InputWeights()),
            Reorder(pd.diff_weights_iter_desc(), d.RecurrentWeights())};
  });
}

// The user's weights in the layout `desc` wants: the buffer itself, or a reordered copy in `slot`.
memory Weights(const memory::desc& user, const memory::desc& desc, const dnnl::reorder& reorder, void* data,
               int slot) {
  memory source = Bind(user, data);
  if (desc == user) return source;  // (then `reorder` is an identity never run)
  memory target = Bind(desc, Scratch(slot, desc.get_size()));
  reorder.execute(Stream(), source, target);
  return target;
}

using F32 = ffi::Buffer<ffi::F32>;
using Out = ffi::ResultBuffer<ffi::F32>;
using Args = std::unordered_map<int, memory>;

// The arguments forward and backward share: inputs, weights, outputs, workspace, scratchpad.
Args Common(const Dims& d, const dnnl::primitive_desc_base& pd, void* x, void* h0, void* c0, memory weights_layer,
            memory weights_iter, void* bias, void* y, void* h_last, void* c_last, void* workspace) {
  return {{DNNL_ARG_SRC_LAYER, Bind(d.Layer(d.c), x)},
          {DNNL_ARG_SRC_ITER, Bind(d.State(), h0)},
          {DNNL_ARG_SRC_ITER_C, Bind(d.State(), c0)},
          {DNNL_ARG_WEIGHTS_LAYER, weights_layer},
          {DNNL_ARG_WEIGHTS_ITER, weights_iter},
          {DNNL_ARG_BIAS, Bind(d.Bias(), bias)},
          {DNNL_ARG_DST_LAYER, Bind(d.Layer(d.h), y)},
          {DNNL_ARG_DST_ITER, Bind(d.State(), h_last)},
          {DNNL_ARG_DST_ITER_C, Bind(d.State(), c_last)},
          {DNNL_ARG_WORKSPACE, Bind(pd.workspace_desc(), workspace)},
          {DNNL_ARG_SCRATCHPAD, Bind(pd.scratchpad_desc(), Scratch(0, pd.scratchpad_desc().get_size()))}};
}

Dims DimsOf(const F32& x, const F32& h0) {
  auto xd = x.dimensions();
  return {xd[1], xd[0], xd[2], h0.dimensions()[1]};
}

ffi::Error ForwardImpl(F32 x, F32 h0, F32 c0, F32 w_ih, F32 w_hh, F32 bias, Out y, Out h_last, Out c_last,
                       ffi::ResultBuffer<ffi::U8> workspace) {
  try {
    Dims d = DimsOf(x, h0);
    auto p = GetForward(d);
    if (static_cast<int64_t>(p->pd.workspace_desc().get_size()) != workspace->element_count())
      return ffi::Error::InvalidArgument("lstm: workspace size does not match this problem");
    memory wl = Weights(d.InputWeights(), p->pd.weights_layer_desc(), p->input_weights, w_ih.untyped_data(), 1);
    memory wi = Weights(d.RecurrentWeights(), p->pd.weights_iter_desc(), p->recurrent_weights,
                        w_hh.untyped_data(), 2);
    p->compute.execute(Stream(), Common(d, p->pd, x.untyped_data(), h0.untyped_data(), c0.untyped_data(), wl, wi,
                                        bias.untyped_data(), y->untyped_data(), h_last->untyped_data(),
                                        c_last->untyped_data(), workspace->untyped_data()));
    Stream().wait();
  } catch (const dnnl::error& e) {
    return ffi::Error::Internal(std::string("oneDNN LSTM forward: ") + e.what());
  }
  return ffi::Error::Success();
}

ffi::Error BackwardImpl(F32 x, F32 h0, F32 c0, F32 w_ih, F32 w_hh, F32 bias, F32 y, F32 h_last, F32 c_last,
                        F32 dy, F32 dh_last, F32 dc_last, ffi::Buffer<ffi::U8> workspace, Out dx, Out dh0, Out dc0,
                        Out dw_ih, Out dw_hh, Out dbias) {
  try {
    Dims d = DimsOf(x, h0);
    auto p = GetBackward(d);
    memory wl = Weights(d.InputWeights(), p->pd.weights_layer_desc(), p->input_weights, w_ih.untyped_data(), 1);
    memory wi = Weights(d.RecurrentWeights(), p->pd.weights_iter_desc(), p->recurrent_weights,
                        w_hh.untyped_data(), 2);
    // oneDNN adds the weight gradients to what the buffers hold: start them at zero.
    auto grad_buffer = [&](const memory::desc& desc, const memory::desc& user, void* out, int slot) {
      void* data = desc == user ? out : Scratch(slot, desc.get_size());
      std::memset(data, 0, desc.get_size());
      return Bind(desc, data);
    };
    memory dwl = grad_buffer(p->pd.diff_weights_layer_desc(), d.InputWeights(), dw_ih->untyped_data(), 3);
    memory dwi = grad_buffer(p->pd.diff_weights_iter_desc(), d.RecurrentWeights(), dw_hh->untyped_data(), 4);
    std::memset(dbias->untyped_data(), 0, d.Bias().get_size());
    Args args = Common(d, p->pd, x.untyped_data(), h0.untyped_data(), c0.untyped_data(), wl, wi, bias.untyped_data(),
                       y.untyped_data(), h_last.untyped_data(), c_last.untyped_data(), workspace.untyped_data());
    args.insert({{DNNL_ARG_DIFF_DST_LAYER, Bind(d.Layer(d.h), dy.untyped_data())},
                 {DNNL_ARG_DIFF_DST_ITER, Bind(d.State(), dh_last.untyped_data())},
                 {DNNL_ARG_DIFF_DST_ITER_C, Bind(d.State(), dc_last.untyped_data())},
                 {DNNL_ARG_DIFF_SRC_LAYER, Bind(d.Layer(d.c), dx->untyped_data())},
                 {DNNL_ARG_DIFF_SRC_ITER, Bind(d.State(), dh0->untyped_data())},
                 {DNNL_ARG_DIFF_SRC_ITER_C, Bind(d.State(), dc0->untyped_data())},
                 {DNNL_ARG_DIFF_WEIGHTS_LAYER, dwl},
                 {DNNL_ARG_DIFF_WEIGHTS_ITER, dwi},
                 {DNNL_ARG_DIFF_BIAS, Bind(d.Bias(), dbias->untyped_data())}});
    p->compute.execute(Stream(), args);
    if (p->pd.diff_weights_layer_desc() != d.InputWeights()) {
      memory user = Bind(d.InputWeights(), dw_ih->untyped_data());
      p->input_grad.execute(Stream(), dwl, user);
    }
    if (p->pd.diff_weights_iter_desc() != d.RecurrentWeights()) {
      memory user = Bind(d.RecurrentWeights(), dw_hh->untyped_data());
      p->recurrent_grad.execute(Stream(), dwi, user);
    }
    Stream().wait();
  } catch (const dnnl::error& e) {
    return ffi::Error::Internal(std::string("oneDNN LSTM backward: ") + e.what());
  }
  return ffi::Error::Success();
}

}  // namespace
}  // namespace layerwise

using namespace layerwise;  // NOLINT: the handler macros below name these types

extern "C" int64_t LayerwiseLstmWorkspaceBytes(int64_t t, int64_t n, int64_t c, int64_t h) {
  try {
    return static_cast<int64_t>(GetForward({t, n, c, h})->pd.workspace_desc().get_size());
  } catch (const dnnl::error&) {
    return -1;
  }
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseLstmForward, ForwardImpl,
                              ffi::Ffi::Bind()
                                  .Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>()
                                  .Ret<F32>().Ret<F32>().Ret<F32>().Ret<ffi::Buffer<ffi::U8>>());
XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseLstmBackward, BackwardImpl,
                              ffi::Ffi::Bind()
                                  .Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>()
                                  .Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>()
                                  .Arg<ffi::Buffer<ffi::U8>>()
                                  .Ret<F32>().Ret<F32>().Ret<F32>().Ret<F32>().Ret<F32>().Ret<F32>());

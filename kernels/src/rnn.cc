// Whole-sequence recurrent layers as XLA FFI handlers over oneDNN's fused recurrent primitives: the
// time loop runs inside oneDNN, not as an XLA `while`.
//   LSTM: flax's gate order (i, f, g, o), one bias. x [B, T, C], h0 and c0 [B, H], w_ih [C, 4H],
//         w_hh [H, 4H], b [4H], y [B, T, H].
//   GRU:  oneDNN's linear-before-reset GRU, which is flax's GRUCell (the reset gate scales W_hn h + b_hn).
//         Gate order (z, r, n): w_ih [C, 3H], w_hh [H, 3H], b [4H] = (b_iz, b_ir, b_in, b_hn); no c.
// The forward pass hands oneDNN's workspace (bytes, size from Layerwise{Lstm,Gru}WorkspaceBytes) to the
// backward pass.

#include <cstring>
#include <string>

#include "onednn.h"

namespace layerwise {
namespace {

constexpr auto kF32 = memory::data_type::f32;
constexpr auto kAny = memory::format_tag::any;

struct Dims {
  int64_t t, n, c, h, gates;
  memory::desc Layer(int64_t features) const { return {{t, n, features}, kF32, memory::format_tag::ntc}; }
  memory::desc State() const { return {{1, 1, n, h}, kF32, memory::format_tag::ldnc}; }
  memory::desc InputWeights(memory::format_tag tag = memory::format_tag::ldigo) const {
    return {{1, 1, c, gates, h}, kF32, tag};
  }
  memory::desc RecurrentWeights(memory::format_tag tag = memory::format_tag::ldigo) const {
    return {{1, 1, h, gates, h}, kF32, tag};
  }
  memory::desc Bias() const { return {{1, 1, 4, h}, kF32, memory::format_tag::ldgo}; }  // 4 for both cells
};

constexpr auto kLeftToRight = dnnl::rnn_direction::unidirectional_left2right;

// The two cells differ only in their primitive types, gate count and whether they carry c.
struct Lstm {
  using Forward = dnnl::lstm_forward;
  using Backward = dnnl::lstm_backward;
  static constexpr int64_t kGates = 4;
  static constexpr bool kCellState = true;
  static Forward::primitive_desc ForwardDesc(const Dims& d) {
    return {Engine(), dnnl::prop_kind::forward_training, kLeftToRight, d.Layer(d.c), d.State(), d.State(),
            d.InputWeights(kAny), d.RecurrentWeights(kAny), d.Bias(), d.Layer(d.h), d.State(), d.State(),
            UserScratchpad()};
  }
  static Backward::primitive_desc BackwardDesc(const Dims& d, const Forward::primitive_desc& hint) {
    return {Engine(), dnnl::prop_kind::backward, kLeftToRight, d.Layer(d.c), d.State(), d.State(),
            d.InputWeights(kAny), d.RecurrentWeights(kAny), d.Bias(), d.Layer(d.h), d.State(), d.State(),
            d.Layer(d.c), d.State(), d.State(), d.InputWeights(kAny), d.RecurrentWeights(kAny), d.Bias(),
            d.Layer(d.h), d.State(), d.State(), hint, UserScratchpad()};
  }
};

struct Gru {
  using Forward = dnnl::lbr_gru_forward;
  using Backward = dnnl::lbr_gru_backward;
  static constexpr int64_t kGates = 3;
  static constexpr bool kCellState = false;
  static Forward::primitive_desc ForwardDesc(const Dims& d) {
    return {Engine(), dnnl::prop_kind::forward_training, kLeftToRight, d.Layer(d.c), d.State(),
            d.InputWeights(kAny), d.RecurrentWeights(kAny), d.Bias(), d.Layer(d.h), d.State(), UserScratchpad()};
  }
  static Backward::primitive_desc BackwardDesc(const Dims& d, const Forward::primitive_desc& hint) {
    return {Engine(), dnnl::prop_kind::backward, kLeftToRight, d.Layer(d.c), d.State(), d.InputWeights(kAny),
            d.RecurrentWeights(kAny), d.Bias(), d.Layer(d.h), d.State(), d.Layer(d.c), d.State(),
            d.InputWeights(kAny), d.RecurrentWeights(kAny), d.Bias(), d.Layer(d.h), d.State(), hint,
            UserScratchpad()};
  }
};

dnnl::reorder Reorder(const memory::desc& from, const memory::desc& to) {
  return dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), from, Engine(), to));
}

template <typename CellT>
struct ForwardPrimitive {
  typename CellT::Forward::primitive_desc pd;
  typename CellT::Forward compute;
  dnnl::reorder input_weights, recurrent_weights;
};

template <typename CellT>
struct BackwardPrimitive {
  typename CellT::Backward::primitive_desc pd;
  typename CellT::Backward compute;
  dnnl::reorder input_weights, recurrent_weights, input_grad, recurrent_grad;
};

template <typename CellT>
std::shared_ptr<const ForwardPrimitive<CellT>> GetForward(const Dims& d) {
  static layerwise::Cache<ForwardPrimitive<CellT>> cache;
  return cache.Get(layerwise::Key({d.t, d.n, d.c, d.h}), [&]() -> ForwardPrimitive<CellT> {
    auto pd = CellT::ForwardDesc(d);
    return {pd, typename CellT::Forward(pd), Reorder(d.InputWeights(), pd.weights_layer_desc()),
            Reorder(d.RecurrentWeights(), pd.weights_iter_desc())};
  });
}

template <typename CellT>
std::shared_ptr<const BackwardPrimitive<CellT>> GetBackward(const Dims& d) {
  static layerwise::Cache<BackwardPrimitive<CellT>> cache;
  return cache.Get(layerwise::Key({d.t, d.n, d.c, d.h}), [&]() -> BackwardPrimitive<CellT> {
    auto pd = CellT::BackwardDesc(d, CellT::ForwardDesc(d));
    return {pd, typename CellT::Backward(pd), Reorder(d.InputWeights(), pd.weights_layer_desc()),
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

// One pass's buffers; the c entries are null for a GRU.
struct Tensors {
  void *x, *h0, *c0, *w_ih, *w_hh, *bias, *y, *h_last, *c_last, *workspace;
};

struct Gradients {
  void *dy, *dh_last, *dc_last, *dx, *dh0, *dc0, *dw_ih, *dw_hh, *dbias;
};

// The arguments forward and backward share: inputs, weights, outputs, workspace, scratchpad.
Args Common(const Dims& d, const dnnl::primitive_desc_base& pd, const Tensors& t, memory weights_layer,
            memory weights_iter) {
  Args args{{DNNL_ARG_SRC_LAYER, Bind(d.Layer(d.c), t.x)},
            {DNNL_ARG_SRC_ITER, Bind(d.State(), t.h0)},
            {DNNL_ARG_WEIGHTS_LAYER, weights_layer},
            {DNNL_ARG_WEIGHTS_ITER, weights_iter},
            {DNNL_ARG_BIAS, Bind(d.Bias(), t.bias)},
            {DNNL_ARG_DST_LAYER, Bind(d.Layer(d.h), t.y)},
            {DNNL_ARG_DST_ITER, Bind(d.State(), t.h_last)},
            {DNNL_ARG_WORKSPACE, Bind(pd.workspace_desc(), t.workspace)},
            {DNNL_ARG_SCRATCHPAD, Bind(pd.scratchpad_desc(), Scratch(0, pd.scratchpad_desc().get_size()))}};
  if (t.c0) {
    args.insert({DNNL_ARG_SRC_ITER_C, Bind(d.State(), t.c0)});
    args.insert({DNNL_ARG_DST_ITER_C, Bind(d.State(), t.c_last)});
  }
  return args;
}

template <typename CellT>
Dims DimsOf(const F32& x, const F32& h0) {
  auto xd = x.dimensions();
  return {xd[1], xd[0], xd[2], h0.dimensions()[1], CellT::kGates};
}

template <typename CellT>
ffi::Error RunForward(const Dims& d, const Tensors& t, int64_t workspace_bytes) {
  try {
    auto p = GetForward<CellT>(d);
    if (static_cast<int64_t>(p->pd.workspace_desc().get_size()) != workspace_bytes)
      return ffi::Error::InvalidArgument("recurrent layer: workspace size does not match this problem");
    memory wl = Weights(d.InputWeights(), p->pd.weights_layer_desc(), p->input_weights, t.w_ih, 1);
    memory wi = Weights(d.RecurrentWeights(), p->pd.weights_iter_desc(), p->recurrent_weights, t.w_hh, 2);
    p->compute.execute(Stream(), Common(d, p->pd, t, wl, wi));
    Stream().wait();
  } catch (const dnnl::error& e) {
    return ffi::Error::Internal(std::string("oneDNN recurrent forward: ") + e.what());
  }
  return ffi::Error::Success();
}

template <typename CellT>
ffi::Error RunBackward(const Dims& d, const Tensors& t, const Gradients& g) {
  try {
    auto p = GetBackward<CellT>(d);
    memory wl = Weights(d.InputWeights(), p->pd.weights_layer_desc(), p->input_weights, t.w_ih, 1);
    memory wi = Weights(d.RecurrentWeights(), p->pd.weights_iter_desc(), p->recurrent_weights, t.w_hh, 2);
    // oneDNN adds the weight gradients to what the buffers hold: start them at zero.
    auto grad_buffer = [&](const memory::desc& desc, const memory::desc& user, void* out, int slot) {
      void* data = desc == user ? out : Scratch(slot, desc.get_size());
      std::memset(data, 0, desc.get_size());
      return Bind(desc, data);
    };
    memory dwl = grad_buffer(p->pd.diff_weights_layer_desc(), d.InputWeights(), g.dw_ih, 3);
    memory dwi = grad_buffer(p->pd.diff_weights_iter_desc(), d.RecurrentWeights(), g.dw_hh, 4);
    std::memset(g.dbias, 0, d.Bias().get_size());
    Args args = Common(d, p->pd, t, wl, wi);
    args.insert({{DNNL_ARG_DIFF_DST_LAYER, Bind(d.Layer(d.h), g.dy)},
                 {DNNL_ARG_DIFF_DST_ITER, Bind(d.State(), g.dh_last)},
                 {DNNL_ARG_DIFF_SRC_LAYER, Bind(d.Layer(d.c), g.dx)},
                 {DNNL_ARG_DIFF_SRC_ITER, Bind(d.State(), g.dh0)},
                 {DNNL_ARG_DIFF_WEIGHTS_LAYER, dwl},
                 {DNNL_ARG_DIFF_WEIGHTS_ITER, dwi},
                 {DNNL_ARG_DIFF_BIAS, Bind(d.Bias(), g.dbias)}});
    if (t.c0) {
      args.insert({DNNL_ARG_DIFF_DST_ITER_C, Bind(d.State(), g.dc_last)});
      args.insert({DNNL_ARG_DIFF_SRC_ITER_C, Bind(d.State(), g.dc0)});
    }
    p->compute.execute(Stream(), args);
    if (p->pd.diff_weights_layer_desc() != d.InputWeights()) {
      memory user = Bind(d.InputWeights(), g.dw_ih);
      p->input_grad.execute(Stream(), dwl, user);
    }
    if (p->pd.diff_weights_iter_desc() != d.RecurrentWeights()) {
      memory user = Bind(d.RecurrentWeights(), g.dw_hh);
      p->recurrent_grad.execute(Stream(), dwi, user);
    }
    Stream().wait();
  } catch (const dnnl::error& e) {
    return ffi::Error::Internal(std::string("oneDNN recurrent backward: ") + e.what());
  }
  return ffi::Error::Success();
}

template <typename CellT>
int64_t WorkspaceBytes(int64_t t, int64_t n, int64_t c, int64_t h) {
  try {
    return static_cast<int64_t>(GetForward<CellT>({t, n, c, h, CellT::kGates})->pd.workspace_desc().get_size());
  } catch (const dnnl::error&) {
    return -1;
  }
}

ffi::Error LstmForwardImpl(F32 x, F32 h0, F32 c0, F32 w_ih, F32 w_hh, F32 bias, Out y, Out h_last, Out c_last,
                           ffi::ResultBuffer<ffi::U8> workspace) {
  Tensors t{x.untyped_data(),    h0.untyped_data(),   c0.untyped_data(),      w_ih.untyped_data(),
            w_hh.untyped_data(), bias.untyped_data(), y->untyped_data(),      h_last->untyped_data(),
            c_last->untyped_data(), workspace->untyped_data()};
  return RunForward<Lstm>(DimsOf<Lstm>(x, h0), t, workspace->element_count());
}

ffi::Error LstmBackwardImpl(F32 x, F32 h0, F32 c0, F32 w_ih, F32 w_hh, F32 bias, F32 y, F32 h_last, F32 c_last,
                            F32 dy, F32 dh_last, F32 dc_last, ffi::Buffer<ffi::U8> workspace, Out dx, Out dh0,
                            Out dc0, Out dw_ih, Out dw_hh, Out dbias) {
  Tensors t{x.untyped_data(),    h0.untyped_data(),   c0.untyped_data(), w_ih.untyped_data(),
            w_hh.untyped_data(), bias.untyped_data(), y.untyped_data(),  h_last.untyped_data(),
            c_last.untyped_data(), workspace.untyped_data()};
  Gradients g{dy.untyped_data(),    dh_last.untyped_data(), dc_last.untyped_data(),
              dx->untyped_data(),   dh0->untyped_data(),    dc0->untyped_data(),
              dw_ih->untyped_data(), dw_hh->untyped_data(), dbias->untyped_data()};
  return RunBackward<Lstm>(DimsOf<Lstm>(x, h0), t, g);
}

ffi::Error GruForwardImpl(F32 x, F32 h0, F32 w_ih, F32 w_hh, F32 bias, Out y, Out h_last,
                          ffi::ResultBuffer<ffi::U8> workspace) {
  Tensors t{x.untyped_data(), h0.untyped_data(),     nullptr, w_ih.untyped_data(), w_hh.untyped_data(),
            bias.untyped_data(), y->untyped_data(), h_last->untyped_data(), nullptr, workspace->untyped_data()};
  return RunForward<Gru>(DimsOf<Gru>(x, h0), t, workspace->element_count());
}

ffi::Error GruBackwardImpl(F32 x, F32 h0, F32 w_ih, F32 w_hh, F32 bias, F32 y, F32 h_last, F32 dy, F32 dh_last,
                           ffi::Buffer<ffi::U8> workspace, Out dx, Out dh0, Out dw_ih, Out dw_hh, Out dbias) {
  Tensors t{x.untyped_data(), h0.untyped_data(),  nullptr, w_ih.untyped_data(), w_hh.untyped_data(),
            bias.untyped_data(), y.untyped_data(), h_last.untyped_data(), nullptr, workspace.untyped_data()};
  Gradients g{dy.untyped_data(), dh_last.untyped_data(), nullptr, dx->untyped_data(), dh0->untyped_data(), nullptr,
              dw_ih->untyped_data(), dw_hh->untyped_data(), dbias->untyped_data()};
  return RunBackward<Gru>(DimsOf<Gru>(x, h0), t, g);
}

}  // namespace
}  // namespace layerwise

using namespace layerwise;  // NOLINT: the handler macros below name these types

extern "C" int64_t LayerwiseLstmWorkspaceBytes(int64_t t, int64_t n, int64_t c, int64_t h) {
  return WorkspaceBytes<Lstm>(t, n, c, h);
}

extern "C" int64_t LayerwiseGruWorkspaceBytes(int64_t t, int64_t n, int64_t c, int64_t h) {
  return WorkspaceBytes<Gru>(t, n, c, h);
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseLstmForward, LstmForwardImpl,
                              ffi::Ffi::Bind()
                                  .Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>()
                                  .Ret<F32>().Ret<F32>().Ret<F32>().Ret<ffi::Buffer<ffi::U8>>());
XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseLstmBackward, LstmBackwardImpl,
                              ffi::Ffi::Bind()
                                  .Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>()
                                  .Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>()
                                  .Arg<ffi::Buffer<ffi::U8>>()
                                  .Ret<F32>().Ret<F32>().Ret<F32>().Ret<F32>().Ret<F32>().Ret<F32>());
XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseGruForward, GruForwardImpl,
                              ffi::Ffi::Bind()
                                  .Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>()
                                  .Ret<F32>().Ret<F32>().Ret<ffi::Buffer<ffi::U8>>());
XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseGruBackward, GruBackwardImpl,
                              ffi::Ffi::Bind()
                                  .Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>()
                                  .Arg<F32>().Arg<F32>().Arg<F32>().Arg<F32>()
                                  .Arg<ffi::Buffer<ffi::U8>>()
                                  .Ret<F32>().Ret<F32>().Ret<F32>().Ret<F32>().Ret<F32>());

// 2-D convolution (NHWC activations, HWIO kernels, float32) as XLA FFI handlers over oneDNN:
// forward, input gradient and kernel gradient, each called in place on XLA's own buffers.
// Attribute "window" = [stride_h, stride_w, pad_top, pad_bottom, pad_left, pad_right].

#include <string>

#include "onednn.h"

namespace layerwise {
namespace {

struct Shape {
  int64_t n, h, w, c, ho, wo, o, kh, kw, sh, sw, pt, pb, pl, pr;

  std::string Key(int kind) const {
    return layerwise::Key({kind, n, h, w, c, ho, wo, o, kh, kw, sh, sw, pt, pb, pl, pr});
  }
  memory::desc Input() const { return {{n, c, h, w}, memory::data_type::f32, memory::format_tag::nhwc}; }
  memory::desc Output() const { return {{n, o, ho, wo}, memory::data_type::f32, memory::format_tag::nhwc}; }
  memory::desc UserKernel() const { return {{o, c, kh, kw}, memory::data_type::f32, memory::format_tag::hwio}; }
  memory::desc AnyKernel() const { return {{o, c, kh, kw}, memory::data_type::f32, memory::format_tag::any}; }
  memory::dims Strides() const { return {sh, sw}; }
  memory::dims PadLow() const { return {pt, pl}; }
  memory::dims PadHigh() const { return {pb, pr}; }
};

ffi::Error MakeShape(ffi::Span<const int64_t> input, ffi::Span<const int64_t> kernel,
                     ffi::Span<const int64_t> output, ffi::Span<const int64_t> window, Shape* s) {
  if (input.size() != 4 || kernel.size() != 4 || output.size() != 4 || window.size() != 6)
    return ffi::Error::InvalidArgument("conv2d: expected NHWC input, HWIO kernel, NHWC output, 6 window values");
  *s = Shape{input[0], input[1], input[2], input[3], output[1], output[2], output[3], kernel[0], kernel[1],
             window[0], window[1], window[2], window[3], window[4], window[5]};
  if (kernel[2] != s->c || kernel[3] != s->o || output[0] != s->n)
    return ffi::Error::InvalidArgument("conv2d: input, kernel and output shapes do not agree");
  return ffi::Error::Success();
}

dnnl::convolution_forward::primitive_desc ForwardDesc(const Shape& s) {
  return {Engine(), dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, s.Input(),
          s.AnyKernel(), s.Output(), s.Strides(), s.PadLow(), s.PadHigh(), UserScratchpad()};
}

// A convolution primitive and the reorder between the user's HWIO kernel and the layout it prefers.
struct Plan {
  dnnl::primitive compute;
  memory::desc kernel, scratchpad;
  bool reorder;
  dnnl::reorder kernel_reorder;
};

Plan MakePlan(dnnl::primitive compute, memory::desc kernel, memory::desc scratchpad, const Shape& s,
              bool kernel_is_output) {
  Plan plan{compute, kernel, scratchpad, kernel != s.UserKernel(), {}};
  if (plan.reorder) {
    plan.kernel_reorder = kernel_is_output ? dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), kernel, Engine(), s.UserKernel()))
                                           : dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), s.UserKernel(), Engine(), kernel));
  }
  return plan;
}

layerwise::Cache<Plan>& Plans() {
  static layerwise::Cache<Plan> plans;
  return plans;
}

enum Kind { kForward, kInputGrad, kKernelGrad };

std::shared_ptr<const Plan> GetPlan(Kind kind, const Shape& s) {
  return Plans().Get(s.Key(kind), [&]() -> Plan {
    auto forward = ForwardDesc(s);
    if (kind == kForward)
      return MakePlan(dnnl::convolution_forward(forward), forward.weights_desc(), forward.scratchpad_desc(), s, false);
    if (kind == kInputGrad) {
      dnnl::convolution_backward_data::primitive_desc pd(Engine(), dnnl::algorithm::convolution_direct, s.Input(),
                                                         s.AnyKernel(), s.Output(), s.Strides(), s.PadLow(),
                                                         s.PadHigh(), forward, UserScratchpad());
      return MakePlan(dnnl::convolution_backward_data(pd), pd.weights_desc(), pd.scratchpad_desc(), s, false);
    }
    dnnl::convolution_backward_weights::primitive_desc pd(Engine(), dnnl::algorithm::convolution_direct, s.Input(),
                                                          s.AnyKernel(), s.Output(), s.Strides(), s.PadLow(),
                                                          s.PadHigh(), forward, UserScratchpad());
    return MakePlan(dnnl::convolution_backward_weights(pd), pd.diff_weights_desc(), pd.scratchpad_desc(), s, true);
  });
}

// Runs `kind` with the kernel at `user_kernel` (read, or written for the kernel gradient).
ffi::Error Run(Kind kind, const Shape& s, void* input, void* user_kernel, void* output) {
  try {
    auto plan = GetPlan(kind, s);
    dnnl::stream& stream = Stream();
    memory user(s.UserKernel(), Engine(), user_kernel);
    memory kernel = plan->reorder ? memory(plan->kernel, Engine(), Scratch(1, plan->kernel.get_size())) : user;
    if (plan->reorder && kind != kKernelGrad) plan->kernel_reorder.execute(stream, user, kernel);
    memory in(s.Input(), Engine(), input), out(s.Output(), Engine(), output);
    memory scratchpad(plan->scratchpad, Engine(), Scratch(0, plan->scratchpad.get_size()));
    if (kind == kForward) {
      plan->compute.execute(stream, {{DNNL_ARG_SRC, in}, {DNNL_ARG_WEIGHTS, kernel}, {DNNL_ARG_DST, out},
                                     {DNNL_ARG_SCRATCHPAD, scratchpad}});
    } else if (kind == kInputGrad) {
      plan->compute.execute(stream, {{DNNL_ARG_DIFF_SRC, in}, {DNNL_ARG_WEIGHTS, kernel},
                                     {DNNL_ARG_DIFF_DST, out}, {DNNL_ARG_SCRATCHPAD, scratchpad}});
    } else {
      plan->compute.execute(stream, {{DNNL_ARG_SRC, in}, {DNNL_ARG_DIFF_WEIGHTS, kernel},
                                     {DNNL_ARG_DIFF_DST, out}, {DNNL_ARG_SCRATCHPAD, scratchpad}});
      if (plan->reorder) plan->kernel_reorder.execute(stream, kernel, user);
    }
    stream.wait();
  } catch (const dnnl::error& e) {
    return ffi::Error::Internal(std::string("oneDNN convolution: ") + e.what());
  }
  return ffi::Error::Success();
}

using F32 = ffi::Buffer<ffi::F32>;
using Window = ffi::Span<const int64_t>;

ffi::Error Forward(F32 x, F32 kernel, ffi::ResultBuffer<ffi::F32> y, Window window) {
  Shape s;
  if (ffi::Error error = MakeShape(x.dimensions(), kernel.dimensions(), y->dimensions(), window, &s); error.failure()) return error;
  return Run(kForward, s, x.untyped_data(), kernel.untyped_data(), y->untyped_data());
}

ffi::Error InputGrad(F32 dy, F32 kernel, ffi::ResultBuffer<ffi::F32> dx, Window window) {
  Shape s;
  if (ffi::Error error = MakeShape(dx->dimensions(), kernel.dimensions(), dy.dimensions(), window, &s); error.failure()) return error;
  return Run(kInputGrad, s, dx->untyped_data(), kernel.untyped_data(), dy.untyped_data());
}

ffi::Error KernelGrad(F32 x, F32 dy, ffi::ResultBuffer<ffi::F32> dkernel, Window window) {
  Shape s;
  if (ffi::Error error = MakeShape(x.dimensions(), dkernel->dimensions(), dy.dimensions(), window, &s); error.failure()) return error;
  return Run(kKernelGrad, s, x.untyped_data(), dkernel->untyped_data(), dy.untyped_data());
}

}  // namespace
}  // namespace layerwise

using namespace layerwise;  // NOLINT: the handler macros below name these types

XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseConvForward, Forward,
                              ffi::Ffi::Bind().Arg<F32>().Arg<F32>().Ret<F32>().Attr<Window>("window"));
XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseConvInputGrad, InputGrad,
                              ffi::Ffi::Bind().Arg<F32>().Arg<F32>().Ret<F32>().Attr<Window>("window"));
XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseConvKernelGrad, KernelGrad,
                              ffi::Ffi::Bind().Arg<F32>().Arg<F32>().Ret<F32>().Attr<Window>("window"));

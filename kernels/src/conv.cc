// 2-D convolution (NHWC activations, HWIO kernels; float32, or bfloat16 with float32 accumulation) as
// XLA FFI handlers over oneDNN: forward, input gradient and kernel gradient, each called in place on
// XLA's own buffers. All three buffers of a call share one element type.
// Attribute "window" = [stride_h, stride_w, pad_top, pad_bottom, pad_left, pad_right].

#include <string>

#include "onednn.h"

namespace layerwise {
namespace {

struct Shape {
  int64_t n, h, w, c, ho, wo, o, kh, kw, sh, sw, pt, pb, pl, pr;
  memory::data_type type;

  std::string Key(int kind) const {
    return layerwise::Key({kind, n, h, w, c, ho, wo, o, kh, kw, sh, sw, pt, pb, pl, pr, static_cast<int64_t>(type)});
  }
  memory::desc Input() const { return {{n, c, h, w}, type, memory::format_tag::nhwc}; }
  memory::desc Output() const { return {{n, o, ho, wo}, type, memory::format_tag::nhwc}; }
  memory::desc UserKernel() const { return {{o, c, kh, kw}, type, memory::format_tag::hwio}; }
  memory::desc AnyKernel() const { return {{o, c, kh, kw}, type, memory::format_tag::any}; }
  memory::dims Strides() const { return {sh, sw}; }
  memory::dims PadLow() const { return {pt, pl}; }
  memory::dims PadHigh() const { return {pb, pr}; }
};

using Buffer = ffi::AnyBuffer;
using Window = ffi::Span<const int64_t>;

ffi::Error MakeShape(const Buffer& x, const Buffer& k, const Buffer& y, Window window, Shape* s) {
  auto input = x.dimensions(), kernel = k.dimensions(), output = y.dimensions();
  if (input.size() != 4 || kernel.size() != 4 || output.size() != 4 || window.size() != 6)
    return ffi::Error::InvalidArgument("conv2d: expected NHWC input, HWIO kernel, NHWC output, 6 window values");
  ffi::DataType type = x.element_type();
  if (k.element_type() != type || y.element_type() != type || (type != ffi::F32 && type != ffi::BF16))
    return ffi::Error::InvalidArgument("conv2d: input, kernel and output must all be float32 or all bfloat16");
  *s = Shape{input[0], input[1], input[2], input[3], output[1], output[2], output[3], kernel[0], kernel[1],
             window[0], window[1], window[2], window[3], window[4], window[5],
             type == ffi::F32 ? memory::data_type::f32 : memory::data_type::bf16};
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

using Out = ffi::Result<ffi::AnyBuffer>;

ffi::Error Forward(Buffer x, Buffer kernel, Out y, Window window) {
  Shape s;
  if (ffi::Error error = MakeShape(x, kernel, *y, window, &s); error.failure()) return error;
  return Run(kForward, s, x.untyped_data(), kernel.untyped_data(), y->untyped_data());
}

ffi::Error InputGrad(Buffer dy, Buffer kernel, Out dx, Window window) {
  Shape s;
  if (ffi::Error error = MakeShape(*dx, kernel, dy, window, &s); error.failure()) return error;
  return Run(kInputGrad, s, dx->untyped_data(), kernel.untyped_data(), dy.untyped_data());
}

ffi::Error KernelGrad(Buffer x, Buffer dy, Out dkernel, Window window) {
  Shape s;
  if (ffi::Error error = MakeShape(x, *dkernel, dy, window, &s); error.failure()) return error;
  return Run(kKernelGrad, s, x.untyped_data(), dkernel->untyped_data(), dy.untyped_data());
}

}  // namespace
}  // namespace layerwise

using namespace layerwise;  // NOLINT: the handler macros below name these types

XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseConvForward, Forward,
                              ffi::Ffi::Bind().Arg<Buffer>().Arg<Buffer>().Ret<Buffer>().Attr<Window>("window"));
XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseConvInputGrad, InputGrad,
                              ffi::Ffi::Bind().Arg<Buffer>().Arg<Buffer>().Ret<Buffer>().Attr<Window>("window"));
XLA_FFI_DEFINE_HANDLER_SYMBOL(LayerwiseConvKernelGrad, KernelGrad,
                              ffi::Ffi::Bind().Arg<Buffer>().Arg<Buffer>().Ret<Buffer>().Attr<Window>("window"));

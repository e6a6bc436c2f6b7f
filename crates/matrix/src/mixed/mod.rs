//! Half precision: `bf16` and `f16` storage, conversions to and from
//! `f32`, and the mixed product `C (f32) <- alpha * A * B + beta * C` with A
//! and B in `bf16` or `f16`, accumulated in `f32`.
//!
//! The product runs through gemm's own plan and loop driver (`gemm/plan.rs`,
//! `gemm/driver.rs`) with one of three kinds of kernel ([`HalfPath`]): on
//! a CPU with AMX (Intel Sapphire Rapids and later), a `bf16` product runs
//! `TDPBF16PS` on 16 x 16 tiles (`amx.rs`); with AVX512_BF16, `VDPBF16PS`,
//! which does twice the multiply-adds of an `f32` FMA per instruction
//! (`kernel.rs`); everywhere else (and for `f16`) the packing widens the
//! operands to `f32`, exactly, and the `f32` kernel of the CPU's
//! instruction set runs. Threads split C as for `f32`, never k, so the
//! result is bitwise the same for any thread count.
//!
//! # Accuracy
//!
//! The product of two `bf16` or two `f16` values is exact in `f32` (8 or 11
//! significant bits each), so the only rounding is in the `f32` sums: for
//! every element, `|C - C_exact| <= k * eps(f32) * sum_k |a_ik| |b_kj|`
//! (plus `|alpha|` and `beta` terms as for any gemm), where `C_exact` is
//! the product of the (already rounded) half-precision inputs. `VDPBF16PS`
//! and `TDPBF16PS` also treat subnormal `bf16` inputs (below about
//! `1.2e-38`) as zero.
//!
//! ```
//! use matrix::{bf16, gemm_half, Matrix};
//! let a = Matrix::from_fn(3, 4, |i, j| (i + j) as f32);
//! let b = Matrix::from_fn(4, 2, |i, j| (i * j) as f32 * 0.5);
//! let (a16, b16) = (Matrix::<bf16>::from(&a), Matrix::<bf16>::from(&b));
//! let mut c = Matrix::<f32>::zeros(3, 2);
//! gemm_half(1.0, &a16, &b16, 0.0, &mut c);
//! assert_eq!(c, a.matmul(&b)); // small integers and halves are exact in bf16
//! ```

#[cfg(target_arch = "x86_64")]
mod amx;
mod convert;
mod kernel;

use std::fmt;

use half::{bf16, f16};

use crate::arch::{selected_kernel, KernelError, KernelKind};
use crate::error::MatrixError;
use crate::gemm::driver::run;
use crate::gemm::problem::{Operand, OutOperand, Problem};
use crate::gemm::{
    check_product, scale_only, ASource, Algorithm, BSource, Epilogue, Plan, PlanChoices,
};
use crate::{Element, Matrix, MatrixView, MatrixViewMut};

/// A half-precision storage type: `bf16` (8 significant bits, `f32`'s
/// range) or `f16` (11 significant bits, largest finite 65504).
///
/// Sealed: implemented for [`half::bf16`] and [`half::f16`], re-exported by
/// this crate as [`bf16`] and [`f16`](struct@crate::f16).
pub trait Half: Element + sealed::Sealed {
    /// `"bf16"` or `"f16"`.
    const NAME: &'static str;
    /// The same value as an `f32` (exact).
    fn to_f32(self) -> f32;
    /// `x` rounded to the nearest value of this type, ties to even
    /// (overflow to infinity; NaN stays NaN).
    fn from_f32(x: f32) -> Self;
}

impl Half for bf16 {
    const NAME: &'static str = "bf16";
    #[inline(always)]
    fn to_f32(self) -> f32 {
        convert::bf16_to_f32(self)
    }
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        convert::bf16_from_f32(x)
    }
}

impl Half for f16 {
    const NAME: &'static str = "f16";
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        f16::from_f32(x)
    }
}

pub(crate) mod sealed {
    use super::*;

    /// The per-type parts: slice conversions and the native kernel.
    pub trait Sealed: Sized {
        /// Whether this CPU has a native dot-product kernel for the type.
        fn has_dot() -> bool;
        /// `dst[i] = Self::from_f32(src[i])`, vectorized.
        fn narrow(kind: KernelKind, src: &[f32], dst: &mut [Self]);
        /// `dst[i] = src[i].to_f32()`, vectorized.
        fn widen(kind: KernelKind, src: &[Self], dst: &mut [f32]);
        /// Runs `p` with the native kernel.
        ///
        /// # Safety
        /// As `gemm::driver::run`, and [`has_dot`](Sealed::has_dot) is true.
        unsafe fn run_dot(plan: &Plan, p: &Problem<f32, Self>);
        /// Whether this CPU (and OS) runs an AMX kernel for the type.
        fn has_amx() -> bool;
        /// Runs `p` with the AMX kernel.
        ///
        /// # Safety
        /// As `gemm::driver::run`, and [`has_amx`](Sealed::has_amx) is true.
        unsafe fn run_amx(plan: &Plan, p: &Problem<f32, Self>);
    }

    impl Sealed for bf16 {
        fn has_dot() -> bool {
            #[cfg(target_arch = "x86_64")]
            {
                is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bf16")
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                false
            }
        }
        fn narrow(kind: KernelKind, src: &[f32], dst: &mut [bf16]) {
            convert::f32_to_bf16(kind, src, dst)
        }
        fn widen(kind: KernelKind, src: &[bf16], dst: &mut [f32]) {
            convert::bf16_to_f32_slice(kind, src, dst)
        }
        unsafe fn run_dot(plan: &Plan, p: &Problem<f32, bf16>) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the caller upholds this function's `# Safety` contract.
            unsafe {
                run::<f32, kernel::DotBf16>(p, plan)
            }
            #[cfg(not(target_arch = "x86_64"))]
            unreachable!(
                "no bf16 dot-product kernel on this target ({plan:?}, {})",
                p.m
            )
        }
        fn has_amx() -> bool {
            #[cfg(target_arch = "x86_64")]
            {
                amx::available()
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                false
            }
        }
        unsafe fn run_amx(plan: &Plan, p: &Problem<f32, bf16>) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the caller upholds this function's `# Safety` contract.
            unsafe {
                run::<f32, amx::AmxBf16>(p, plan)
            }
            #[cfg(not(target_arch = "x86_64"))]
            unreachable!("no AMX kernel on this target ({plan:?}, {})", p.m)
        }
    }

    impl Sealed for f16 {
        fn has_dot() -> bool {
            false
        }
        fn narrow(kind: KernelKind, src: &[f32], dst: &mut [f16]) {
            convert::f32_to_f16(kind != KernelKind::Portable, src, dst)
        }
        fn widen(kind: KernelKind, src: &[f16], dst: &mut [f32]) {
            convert::f16_to_f32_slice(kind != KernelKind::Portable, src, dst)
        }
        unsafe fn run_dot(plan: &Plan, p: &Problem<f32, f16>) {
            unreachable!("no f16 dot-product kernel ({plan:?}, {})", p.m)
        }
        fn has_amx() -> bool {
            false
        }
        unsafe fn run_amx(plan: &Plan, p: &Problem<f32, f16>) {
            unreachable!("no f16 AMX kernel ({plan:?}, {})", p.m)
        }
    }
}

/// Which kernel a half-precision product runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HalfPath {
    /// AMX (`TDPBF16PS` on tiles), `bf16` only: 16 x 32 by 32 x 16
    /// products into 16 x 16 `f32` tiles, where the CPU has AMX-BF16 and
    /// the OS grants the tile registers (Linux, on first use).
    AmxBf16,
    /// `VDPBF16PS` (AVX512_BF16), `bf16` only: pairs of products summed
    /// into `f32` lanes, from panels of `bf16` pairs.
    DotBf16,
    /// The operands widened to `f32` while they are packed, then this
    /// instruction set's `f32` kernel.
    Widened(KernelKind),
}

impl HalfPath {
    /// The path a product of `H` takes by default, when the selected kernel
    /// ([`selected_kernel`]) is AVX-512: AMX where the CPU and OS have it
    /// for `H`; else the dot-product kernel where the CPU has one for `H`
    /// and runs it at full rate; else (and for any other selected kernel)
    /// the selected kernel widened.
    ///
    /// Full rate means an AMD core (Zen 4, Zen 5), which issues `VDPBF16PS`
    /// as fast as an `f32` FMA, so a `bf16` product does twice the work per
    /// instruction. Intel's cores with AVX512_BF16 (Cooper Lake to Emerald
    /// Rapids) issue it at a quarter of their FMA rate (half the flops of
    /// the `f32` kernel), so there the widened `f32` kernel is faster, and
    /// the dot-product kernel stays available through
    /// [`try_gemm_half_with`].
    ///
    /// # Errors
    /// As [`selected_kernel`].
    pub fn selected<H: Half>() -> Result<HalfPath, KernelError> {
        Ok(HalfPath::for_kernel::<H>(selected_kernel()?))
    }

    /// The rule of [`selected`](HalfPath::selected) for a given kernel.
    fn for_kernel<H: Half>(kernel: KernelKind) -> HalfPath {
        if kernel == KernelKind::Avx512 && H::has_amx() {
            HalfPath::AmxBf16
        } else if kernel == KernelKind::Avx512 && H::has_dot() && dot_runs_at_full_rate() {
            HalfPath::DotBf16
        } else {
            HalfPath::Widened(kernel)
        }
    }

    /// Every path this CPU can run for `H`, native first.
    ///
    /// ```
    /// use matrix::{bf16, f16, HalfPath, KernelKind};
    /// assert!(HalfPath::supported::<bf16>().contains(&HalfPath::Widened(KernelKind::Portable)));
    /// assert!(!HalfPath::supported::<f16>().contains(&HalfPath::DotBf16));
    /// ```
    pub fn supported<H: Half>() -> Vec<HalfPath> {
        let amx = H::has_amx().then_some(HalfPath::AmxBf16);
        let dot = H::has_dot().then_some(HalfPath::DotBf16);
        amx.into_iter()
            .chain(dot)
            .chain(KernelKind::supported().into_iter().map(HalfPath::Widened))
            .collect()
    }

    /// The instruction set whose register tile and caches the plan is made
    /// for (the dot-product kernel shares the AVX-512 `f32` kernel's).
    pub fn kernel(self) -> KernelKind {
        match self {
            HalfPath::AmxBf16 | HalfPath::DotBf16 => KernelKind::Avx512,
            HalfPath::Widened(k) => k,
        }
    }
}

/// True on AMD processors, whose `VDPBF16PS` issues at the FMA rate (see
/// [`HalfPath::selected`]).
fn dot_runs_at_full_rate() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // `__cpuid` is a safe function in newer compilers, not in the oldest
        // this crate supports.
        #[allow(unused_unsafe)]
        // SAFETY: CPUID leaf 0 exists on every x86-64 processor.
        let id = unsafe { std::arch::x86_64::__cpuid(0) };
        // The vendor string "AuthenticAMD" is in EBX, EDX, ECX.
        (id.ebx, id.edx, id.ecx) == (0x6874_7541, 0x6974_6E65, 0x444D_4163)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl fmt::Display for HalfPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HalfPath::AmxBf16 => f.write_str("amx-bf16 (TDPBF16PS)"),
            HalfPath::DotBf16 => f.write_str("avx512-bf16 (VDPBF16PS)"),
            HalfPath::Widened(k) => write!(f, "{k} (widened to f32 while packing)"),
        }
    }
}

/// `C (f32) <- alpha * op(A) * op(B) + beta * C` with `op(A)`, `op(B)` in
/// `bf16` or `f16`, on the path [`HalfPath::selected`] picks.
///
/// An unusable `MATNET_KERNEL` is reported once on stderr and the fastest
/// kernel runs instead (as for [`gemm`](crate::gemm())).
///
/// # Panics
/// If the shapes do not fit; see [`try_gemm_half_with`] for a `Result`.
///
/// ```
/// use matrix::{f16, gemm_half, Matrix};
/// let a = Matrix::<f16>::from(&Matrix::from([[1.0f32, 2.0], [3.0, 4.0]]));
/// let mut c = Matrix::from([[1.0f32, 1.0], [1.0, 1.0]]);
/// gemm_half(1.0, &a, a.t(), 1.0, &mut c); // C = A Aᵀ + C
/// assert_eq!(c, Matrix::from([[6.0, 12.0], [12.0, 26.0]]));
/// ```
pub fn gemm_half<'a, 'b, 'c, H: Half>(
    alpha: f32,
    a: impl Into<MatrixView<'a, H>>,
    b: impl Into<MatrixView<'b, H>>,
    beta: f32,
    c: impl Into<MatrixViewMut<'c, f32>>,
) {
    let path = HalfPath::for_kernel::<H>(crate::arch::kernel_in_use());
    let choices = PlanChoices::default();
    try_gemm_half_with(path, choices, alpha, a, b, beta, c, Epilogue::none())
        .unwrap_or_else(|e| panic!("{e}"));
}

/// [`gemm_half`] on a given path, with forced plan choices and an
/// epilogue, returning errors instead of panicking, and the plan it ran
/// (`None` when there was nothing to multiply).
///
/// The plan reads A and B from packed panels (the kernels convert or
/// interleave while packing): choices that force another source or loop
/// nest are refused.
///
/// # Errors
/// Shapes that do not fit, a path this CPU or `H` lacks, or refused choices.
///
/// ```
/// use matrix::{bf16, gemm::PlanChoices, try_gemm_half_with, Epilogue, HalfPath, KernelKind, Matrix};
/// let a = Matrix::<bf16>::from(&Matrix::from([[1.0f32, -2.0]]));
/// let b = Matrix::<bf16>::from(&Matrix::from([[3.0f32], [4.0]]));
/// let mut c = Matrix::<f32>::zeros(1, 1);
/// let path = HalfPath::Widened(KernelKind::Portable);
/// let bias = [10.0f32];
/// try_gemm_half_with(path, PlanChoices::default(), 1.0, &a, &b, 0.0, &mut c, Epilogue::bias(&bias))?;
/// assert_eq!(c[(0, 0)], 5.0); // 3 - 8 + 10
/// let mut wrong = Matrix::<f32>::zeros(2, 1);
/// assert!(try_gemm_half_with(path, PlanChoices::default(), 1.0, &a, &b, 0.0, &mut wrong, Epilogue::none()).is_err());
/// # Ok::<(), matrix::MatrixError>(())
/// ```
#[allow(clippy::too_many_arguments)] // gemm's argument list, plus the path and the choices
pub fn try_gemm_half_with<'a, 'b, 'c, H: Half>(
    path: HalfPath,
    choices: PlanChoices,
    alpha: f32,
    a: impl Into<MatrixView<'a, H>>,
    b: impl Into<MatrixView<'b, H>>,
    beta: f32,
    c: impl Into<MatrixViewMut<'c, f32>>,
    epilogue: Epilogue<'_, f32>,
) -> Result<Option<Plan>, MatrixError> {
    let (a, b, mut c) = (a.into(), b.into(), c.into());
    let kernel = path.kernel();
    let (m, k) = a.shape();
    let n = b.cols();
    check_product(
        "gemm_half",
        ("op(A)", "op(B)"),
        (m, k),
        b.shape(),
        c.shape(),
        &epilogue,
        kernel,
    )?;
    if path == HalfPath::DotBf16 && !H::has_dot() {
        return Err(MatrixError::Kernel(KernelError {
            requested: path.to_string(),
            reason: format!("this CPU has no dot-product kernel for {}", H::NAME),
        }));
    }
    if path == HalfPath::AmxBf16 && !H::has_amx() {
        return Err(MatrixError::Kernel(KernelError {
            requested: path.to_string(),
            reason: format!("this CPU or OS runs no AMX kernel for {}", H::NAME),
        }));
    }
    let forced = |what: &str| {
        Err(MatrixError::InvalidPlan {
            detail: format!("a half-precision product reads packed panels in the BLIS loops; {what} cannot be forced"),
        })
    };
    if choices.algorithm.is_some_and(|a| a != Algorithm::Blis) {
        return forced("another loop nest");
    }
    if choices.a.is_some_and(|a| a != ASource::Packed) {
        return forced("another source of A");
    }
    if choices.b.is_some_and(|b| b != BSource::Packed) {
        return forced("another source of B");
    }
    if m == 0 || n == 0 {
        return Ok(None);
    }
    if k == 0 || alpha == 0.0 {
        scale_only(beta, c.rb_mut(), epilogue);
        return Ok(None);
    }
    let problem: Problem<f32, H> = Problem {
        m,
        n,
        k,
        alpha,
        beta,
        a: Operand::of(a),
        b: Operand::of(b),
        c: OutOperand::of(&mut c),
        bias: epilogue.bias.map_or(std::ptr::null(), |b| b.as_ptr()),
        relu: epilogue.relu,
    };
    let choices = PlanChoices {
        algorithm: Some(Algorithm::Blis),
        a: Some(ASource::Packed),
        b: Some(BSource::Packed),
        ..choices
    };
    let threads = crate::arch::threads::current_num_threads();
    let shape_of = |a| crate::gemm::kernel_shape::<f32>(kernel, a);
    let (mut plan, problem) = Plan::new(&problem, kernel, shape_of, threads, choices)?;
    if path == HalfPath::DotBf16 && plan.kc < problem.k && plan.kc % 2 == 1 {
        // Pairs of k must not straddle two k blocks.
        plan.kc = (plan.kc - 1).max(2);
        plan.first_part = Some(plan.part_plan(&plan.part(&problem, 0))?);
    }
    #[cfg(target_arch = "x86_64")]
    if path == HalfPath::AmxBf16 {
        fit_tile(&mut plan, &problem, amx::BLOCK, amx::BLOCK, amx::CHUNK)?;
    }
    // The blocks may have changed above (k blocks of whole pairs or
    // chunks, another tile): the workspace is sized from the final plan.
    plan.workspace_bytes = plan.blis_workspace_bytes(&problem, std::mem::size_of::<f32>())?;
    plan.reserve_workspace()?;
    // SAFETY: shapes checked above; the views guarantee every in-shape
    // offset is in bounds; C is an exclusive borrow, so it cannot overlap A
    // or B; the path is supported (checked above: `check_product` for the
    // instruction set, `has_dot` for the dot kernel); the plan was made and
    // validated for this problem, with packed sources only.
    unsafe {
        match path {
            HalfPath::AmxBf16 => H::run_amx(&plan, &problem),
            HalfPath::DotBf16 => H::run_dot(&plan, &problem),
            HalfPath::Widened(kind) => run_widened(kind, &plan, &problem),
        }
    }
    Ok(Some(plan))
}

/// Remakes `plan`, made for the AVX-512 `f32` tile, for a kernel with an
/// `mr x nr` tile whose panels hold chunks of `k_group` k (the AMX
/// kernel): k blocks of whole chunks, parts of whole tiles, the blocking of
/// the first part for that tile.
#[cfg(target_arch = "x86_64")]
fn fit_tile<H>(
    plan: &mut Plan,
    p: &Problem<f32, H>,
    mr: usize,
    nr: usize,
    k_group: usize,
) -> Result<(), MatrixError> {
    plan.shape = crate::gemm::plan::KernelShape {
        mr,
        nr,
        mr_step: mr,
        nr_step: nr,
        lanes: 0,
    };
    if plan.kc < p.k {
        plan.kc = (plan.kc / k_group * k_group).max(k_group);
    }
    let (len, step) = match plan.split {
        crate::gemm::Split::Rows => (p.m, mr),
        crate::gemm::Split::Columns => (p.n, nr),
    };
    plan.parts = plan.parts.min(len.div_ceil(step)).max(1);
    plan.first_part = Some(plan.part_plan(&plan.part(p, 0))?);
    Ok(())
}

/// Runs `p` with `kind`'s `f32` kernel behind a widening packing.
///
/// # Safety
/// As `gemm::driver::run`, `kind` supported by this CPU.
unsafe fn run_widened<H: Half>(kind: KernelKind, plan: &Plan, p: &Problem<f32, H>) {
    use crate::arch::isa::{with_kernels, Kernels, WithKernels};
    use kernel::Widened;
    /// The plan and problem, with the contract of [`run_widened`].
    struct Run<'a, H>(&'a Plan, &'a Problem<f32, H>);
    impl<H: Half> WithKernels<f32> for Run<'_, H> {
        type Output = ();
        fn run<K: Kernels<f32>>(self) {
            // SAFETY: built only by `run_widened`, whose caller upholds the
            // driver's contract; `K` is the instruction set it asked for.
            unsafe { run::<f32, Widened<K, H>>(self.1, self.0) }
        }
    }
    with_kernels(kind, Run(plan, p))
}

impl<H: Half> Matrix<H> {
    /// `src` rounded to `H`, to nearest even, any strides.
    ///
    /// ```
    /// use matrix::{bf16, Matrix};
    /// let x = Matrix::from([[1.0f32, 1.00390625], [3.0e38, -0.0]]);
    /// let h = Matrix::<bf16>::from_f32(x.t());
    /// assert_eq!(h[(1, 0)], bf16::from_f32(1.0)); // 1 + 2^-8 ties to even: 1
    /// assert_eq!(h.to_f32()[(0, 1)], bf16::from_f32(3.0e38).to_f32()); // 3.004e38
    /// ```
    pub fn from_f32<'a>(src: impl Into<MatrixView<'a, f32>>) -> Matrix<H> {
        let src = src.into();
        let kind = crate::arch::kernel_in_use();
        let (rows, cols) = src.shape();
        let mut out = Matrix::<H>::zeros(rows, cols);
        for i in 0..rows {
            let dst = out.row_mut(i);
            match src.row(i) {
                Some(row) => H::narrow(kind, row, dst),
                None => {
                    for (j, d) in dst.iter_mut().enumerate() {
                        *d = H::from_f32(src[(i, j)]);
                    }
                }
            }
        }
        out
    }

    /// The same values as `f32` (exact).
    pub fn to_f32(&self) -> Matrix<f32> {
        let kind = crate::arch::kernel_in_use();
        let mut out = Matrix::<f32>::zeros(self.rows(), self.cols());
        H::widen(kind, self.as_slice(), out.as_mut_slice());
        out
    }
}

impl<H: Half> From<&Matrix<f32>> for Matrix<H> {
    /// As [`Matrix::from_f32`].
    fn from(m: &Matrix<f32>) -> Matrix<H> {
        Matrix::from_f32(m)
    }
}

impl<H: Half> From<&Matrix<H>> for Matrix<f32> {
    /// As [`Matrix::to_f32`].
    fn from(m: &Matrix<H>) -> Matrix<f32> {
        m.to_f32()
    }
}

/// `dst[i] = H::from_f32(src[i])` for slices of the same length, vectorized.
///
/// # Panics
/// If the lengths differ.
///
/// ```
/// use matrix::{bf16, mixed::narrow_slice};
/// let mut out = [bf16::ZERO; 3];
/// narrow_slice(&[1.0, 2.5, f32::INFINITY], &mut out);
/// assert_eq!(out[1].to_f32(), 2.5);
/// ```
pub fn narrow_slice<H: Half>(src: &[f32], dst: &mut [H]) {
    assert_eq!(src.len(), dst.len(), "narrow_slice: lengths differ");
    H::narrow(crate::arch::kernel_in_use(), src, dst)
}

/// `dst[i] = src[i].to_f32()` for slices of the same length, vectorized.
///
/// # Panics
/// If the lengths differ.
pub fn widen_slice<H: Half>(src: &[H], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len(), "widen_slice: lengths differ");
    H::widen(crate::arch::kernel_in_use(), src, dst)
}

/// The conversions on a given instruction set, for tests that compare
/// every path with [`Half::from_f32`] and [`Half::to_f32`].
#[doc(hidden)]
pub fn narrow_slice_with<H: Half>(kind: KernelKind, src: &[f32], dst: &mut [H]) {
    assert_eq!(src.len(), dst.len(), "narrow_slice: lengths differ");
    assert!(kind.is_supported(), "{kind} is not supported here");
    H::narrow(kind, src, dst)
}

/// As [`narrow_slice_with`], widening.
#[doc(hidden)]
pub fn widen_slice_with<H: Half>(kind: KernelKind, src: &[H], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len(), "widen_slice: lengths differ");
    assert!(kind.is_supported(), "{kind} is not supported here");
    H::widen(kind, src, dst)
}

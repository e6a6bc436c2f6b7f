//! Choosing the micro-kernel: once per process, by CPU feature detection,
//! or forced with `MATNET_KERNEL=avx512|avx2|portable`.

use std::fmt;
use std::sync::{Once, OnceLock};

use super::KernelKind;

/// `MATNET_KERNEL` names a kernel that does not exist or that this CPU lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelError {
    /// The value of `MATNET_KERNEL`.
    pub requested: String,
    /// Why it cannot be used.
    pub reason: String,
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MATNET_KERNEL={}: {}", self.requested, self.reason)
    }
}

impl std::error::Error for KernelError {}

/// Resolves a `MATNET_KERNEL` value (or its absence) to a kernel.
pub fn resolve(request: Option<&str>) -> Result<KernelKind, KernelError> {
    let Some(req) = request.filter(|r| !r.trim().is_empty()) else {
        return Ok(KernelKind::best());
    };
    let names = || {
        KernelKind::supported()
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match KernelKind::from_name(req) {
        None => Err(KernelError {
            requested: req.to_string(),
            reason: format!(
                "unknown kernel; expected one of avx512, avx2, portable (this CPU supports: {})",
                names()
            ),
        }),
        Some(k) if !k.is_supported() => Err(KernelError {
            requested: req.to_string(),
            reason: format!(
                "this CPU does not support the {k} kernel (it supports: {})",
                names()
            ),
        }),
        Some(k) => Ok(k),
    }
}

/// The kernel `MATNET_KERNEL` asks for, or the fastest this CPU supports if
/// it is unset. Read once per process; an error if `MATNET_KERNEL` names no
/// kernel or one this CPU lacks.
///
/// What an unusable value does depends on the form called:
///
/// - the `try_` functions ([`try_gemm`](crate::try_gemm),
///   [`Matrix::try_matmul`](crate::Matrix::try_matmul),
///   [`try_sparse_gemm`](crate::try_sparse_gemm), ...) return this error
///   as [`MatrixError::Kernel`](crate::MatrixError::Kernel), and this
///   function returns it too, so that a program can refuse the setting at
///   start-up as it refuses a bad argument (the `mnist` example does);
/// - `*`, `matmul`, [`sparse_gemm`](crate::sparse_gemm),
///   [`sparse_gemm_tiles`](crate::sparse_gemm_tiles) and
///   the transposes, which have no `Result`, do not panic over an
///   environment variable inside a host program: they print one line on
///   stderr, once per process (`matrix: MATNET_KERNEL=sse9 names no kernel
///   this CPU can run (it runs avx512, avx2, portable); using avx512`), and
///   run the fastest kernel the CPU has;
/// - [`gemm`](crate::gemm()), `gemm_fused` and `gemm_batched` are still
///   their `try_` forms unwrapped, so they panic with this error's message
///   (issue 36: they are to take the second path).
///
/// ```
/// let kernel = matrix::selected_kernel().expect("usable MATNET_KERNEL");
/// assert!(kernel.is_supported());
/// ```
pub fn selected_kernel() -> Result<KernelKind, KernelError> {
    static SELECTED: OnceLock<Result<KernelKind, KernelError>> = OnceLock::new();
    SELECTED
        .get_or_init(|| resolve(std::env::var("MATNET_KERNEL").ok().as_deref()))
        .clone()
}

/// The kernel the forms without a `Result` run: [`selected_kernel`]'s, or
/// the fastest this CPU supports if `MATNET_KERNEL` is unusable, which is
/// then reported once per process on stderr (see [`selected_kernel`]).
pub(crate) fn kernel_in_use() -> KernelKind {
    let (kernel, warning) = fall_back(selected_kernel());
    if let Some(line) = warning {
        static WARNED: Once = Once::new();
        WARNED.call_once(|| eprintln!("{line}"));
    }
    kernel
}

/// The kernel to run for a [`selected_kernel`] result, and the line that
/// reports an unusable `MATNET_KERNEL` (separate from the printing, to be
/// testable on any CPU).
fn fall_back(selected: Result<KernelKind, KernelError>) -> (KernelKind, Option<String>) {
    match selected {
        Ok(kernel) => (kernel, None),
        Err(e) => {
            let best = KernelKind::best();
            let runs = KernelKind::supported()
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ");
            let line = format!(
                "matrix: MATNET_KERNEL={} names no kernel this CPU can run (it runs {runs}); using {best}",
                e.requested
            );
            (best, Some(line))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_names_are_errors() {
        for k in KernelKind::ALL {
            assert_eq!(KernelKind::from_name(k.name()), Some(k));
        }
        assert_eq!(resolve(Some("portable")), Ok(KernelKind::Portable));
        assert_eq!(resolve(None), Ok(KernelKind::best()));
        let err = resolve(Some("sse9")).unwrap_err();
        assert!(err.to_string().contains("unknown kernel"), "{err}");
    }

    #[test]
    fn unusable_kernels_fall_back_to_the_best_with_one_line() {
        assert_eq!(
            fall_back(Ok(KernelKind::Portable)),
            (KernelKind::Portable, None)
        );
        // An unsupported kernel's error, whether or not this CPU lacks one.
        for requested in ["sse9", "avx512", ""] {
            let err = KernelError {
                requested: requested.to_string(),
                reason: "this CPU does not support it".to_string(),
            };
            let (kernel, line) = fall_back(Err(err));
            assert_eq!(kernel, KernelKind::best());
            let line = line.expect("an unusable kernel is reported");
            assert!(
                line.starts_with(&format!(
                    "matrix: MATNET_KERNEL={requested} names no kernel"
                )),
                "{line}"
            );
            assert!(
                line.ends_with(&format!("; using {}", KernelKind::best())),
                "{line}"
            );
            assert!(!line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn unsupported_kernels_are_refused_by_name() {
        for k in KernelKind::ALL.into_iter().filter(|k| !k.is_supported()) {
            let err = resolve(Some(k.name())).unwrap_err();
            assert!(err.to_string().contains("does not support"), "{err}");
        }
    }
}

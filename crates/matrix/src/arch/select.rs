//! Choosing the micro-kernel: once per process, by CPU feature detection,
//! or forced with `MATNET_KERNEL=avx512|avx2|portable`.

use std::fmt;
use std::sync::OnceLock;

/// A family of micro-kernels (one per instruction set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KernelKind {
    /// AVX-512F: 12x32 (f32) and 12x16 (f64) tiles in 32 zmm registers.
    Avx512,
    /// AVX2 + FMA: 6x16 (f32) and 6x8 (f64) tiles in 16 ymm registers.
    Avx2,
    /// Plain Rust that LLVM auto-vectorizes; runs everywhere.
    Portable,
}

impl KernelKind {
    /// All kernels, fastest first.
    pub const ALL: [KernelKind; 3] = [KernelKind::Avx512, KernelKind::Avx2, KernelKind::Portable];

    /// The name `MATNET_KERNEL` takes.
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Avx512 => "avx512",
            KernelKind::Avx2 => "avx2",
            KernelKind::Portable => "portable",
        }
    }

    /// Parses a `MATNET_KERNEL` value.
    pub fn from_name(name: &str) -> Option<KernelKind> {
        KernelKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }

    /// True if this CPU can run the kernel.
    pub fn is_supported(self) -> bool {
        match self {
            KernelKind::Portable => true,
            #[cfg(target_arch = "x86_64")]
            KernelKind::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            KernelKind::Avx512 => is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The kernels this CPU can run, fastest first.
    pub fn supported() -> Vec<KernelKind> {
        KernelKind::ALL
            .into_iter()
            .filter(|k| k.is_supported())
            .collect()
    }

    /// The fastest kernel this CPU supports.
    pub fn best() -> KernelKind {
        KernelKind::supported()[0]
    }
}

impl fmt::Display for KernelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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

/// The kernel gemm uses in this process: `MATNET_KERNEL` if set, else the
/// fastest supported. Read once; an error if `MATNET_KERNEL` is unusable.
///
/// Programs should call this at start-up to report a bad `MATNET_KERNEL`
/// cleanly; [`gemm`](crate::gemm()) itself panics with the same message.
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
    fn unsupported_kernels_are_refused_by_name() {
        for k in KernelKind::ALL.into_iter().filter(|k| !k.is_supported()) {
            let err = resolve(Some(k.name())).unwrap_err();
            assert!(err.to_string().contains("does not support"), "{err}");
        }
    }
}

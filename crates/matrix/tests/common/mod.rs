//! Shared by the integration tests.

use matrix::KernelKind;

/// The kernels to test: only `MATNET_KERNEL`'s if it is set (how
/// `.ci/valgrind.sh` keeps AVX-512 away from valgrind), else every kernel
/// this CPU supports.
pub fn kernels() -> Vec<KernelKind> {
    match std::env::var("MATNET_KERNEL")
        .ok()
        .as_deref()
        .and_then(KernelKind::from_name)
    {
        Some(k) => {
            assert!(k.is_supported(), "MATNET_KERNEL={k}: not supported here");
            vec![k]
        }
        None => KernelKind::supported(),
    }
}

//! Packing: copying a block of A or B into the panel order the micro-kernel
//! streams through.
//!
//! Both operands pack the same way. A block of `len x kc` elements, element
//! `(w, k)` at `src + w * s_w + k * s_k`, is cut into panels of `width` rows
//! of `w` (MR for A, NR for B); panel `p` stores
//!
//! ```text
//! dst[p * kc * width + k * width + r] = src[(p * width + r) * s_w + k * s_k]
//! ```
//!
//! and the last panel is zero-padded to the full width, so the micro-kernel
//! never needs a bounds check. For A, `w` is the row index (`s_w = rs_a`,
//! `s_k = cs_a`); for B, `w` is the column index (`s_w = cs_b`, `s_k = rs_b`).

use crate::Scalar;

/// Packs one panel of `rows <= width` real rows.
///
/// # Safety
/// `src + r * s_w + k * s_k` is readable for `r < rows`, `k < kc`, and
/// `dst` has room for `width * kc` elements.
#[inline]
pub(crate) unsafe fn pack_panel<T: Scalar>(
    rows: usize,
    kc: usize,
    width: usize,
    src: *const T,
    s_w: usize,
    s_k: usize,
    dst: *mut T,
) {
    if s_w == 1 {
        // The panel's rows are contiguous in memory for each k: one copy per k.
        // A plain loop, not `copy_nonoverlapping`: the runs are 4 to 32
        // elements, where a libc call costs more than the copy.
        for k in 0..kc {
            let (d, s) = (dst.add(k * width), src.add(k * s_k));
            for r in 0..rows {
                *d.add(r) = *s.add(r);
            }
            for r in rows..width {
                *d.add(r) = T::ZERO;
            }
        }
    } else if s_k == 1 {
        // Each row is contiguous along k: read rows sequentially, scatter by
        // `width`. Blocks of 8 k's keep the writes inside a few cache lines.
        const KB: usize = 8;
        let mut k0 = 0;
        while k0 < kc {
            let kb = KB.min(kc - k0);
            for r in 0..rows {
                let s = src.add(r * s_w + k0);
                for kk in 0..kb {
                    *dst.add((k0 + kk) * width + r) = *s.add(kk);
                }
            }
            for r in rows..width {
                for kk in 0..kb {
                    *dst.add((k0 + kk) * width + r) = T::ZERO;
                }
            }
            k0 += kb;
        }
    } else {
        for k in 0..kc {
            let d = dst.add(k * width);
            for r in 0..rows {
                *d.add(r) = *src.add(r * s_w + k * s_k);
            }
            for r in rows..width {
                *d.add(r) = T::ZERO;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every layout path gives the documented panel order.
    #[test]
    fn pack_matches_the_formula_for_every_stride_case() {
        let (len, kc, width) = (7, 5, 4);
        let src: Vec<f64> = (0..200).map(|x| x as f64 + 1.0).collect();
        for (s_w, s_k) in [(1, 9), (9, 1), (3, 25)] {
            let mut dst = vec![-1.0; 2 * width * kc];
            for p in 0..2 {
                let rows = width.min(len - p * width);
                // SAFETY: max offset (len-1)*s_w + (kc-1)*s_k < 200; each panel
                // writes its own kc*width slice of dst.
                unsafe {
                    let src = src.as_ptr().add(p * width * s_w);
                    pack_panel(
                        rows,
                        kc,
                        width,
                        src,
                        s_w,
                        s_k,
                        dst.as_mut_ptr().add(p * width * kc),
                    )
                };
            }
            for p in 0..2 {
                for k in 0..kc {
                    for r in 0..width {
                        let w = p * width + r;
                        let want = if w < len { src[w * s_w + k * s_k] } else { 0.0 };
                        assert_eq!(
                            dst[p * kc * width + k * width + r],
                            want,
                            "s_w={s_w} s_k={s_k}"
                        );
                    }
                }
            }
        }
    }
}

//! The optional conversions: serde, ndarray, nalgebra. Each part compiles
//! only with its feature (`cargo test -p matnet-matrix --all-features`).

#[cfg(feature = "serde")]
mod serde {
    use matrix::Matrix;

    #[test]
    fn json_round_trip_keeps_shape_and_bits() {
        let m = Matrix::from_fn(3, 4, |i, j| (i as f64 - 1.5) / (j as f64 + 0.3));
        let json = serde_json::to_string(&m).unwrap();
        let back: Matrix<f64> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let empty: Matrix<f32> = serde_json::from_str(r#"{"rows":0,"cols":5,"data":[]}"#).unwrap();
        assert_eq!(empty.shape(), (0, 5));
    }

    #[test]
    fn data_of_the_wrong_length_is_refused_naming_both() {
        for (json, want) in [
            (
                r#"{"rows":2,"cols":2,"data":[1,2,3]}"#,
                "a 2x2 matrix needs 4 elements but the buffer has 3",
            ),
            (
                r#"{"rows":1,"cols":1,"data":[1,2]}"#,
                "a 1x1 matrix needs 1 elements but the buffer has 2",
            ),
        ] {
            let e = serde_json::from_str::<Matrix<f32>>(json)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{e}");
        }
        let huge = format!(r#"{{"rows":{},"cols":2,"data":[]}}"#, usize::MAX);
        assert!(serde_json::from_str::<Matrix<f32>>(&huge).is_err());
        assert!(serde_json::from_str::<Matrix<f32>>(r#"{"rows":1,"data":[1]}"#).is_err());
    }
}

#[cfg(feature = "ndarray")]
mod ndarray_views {
    use matrix::{Matrix, MatrixView, MatrixViewMut};
    use ndarray::{s, Array2, ArrayView2, ArrayViewMut2, Axis};

    fn sample() -> Array2<f32> {
        Array2::from_shape_fn((5, 7), |(i, j)| (10 * i + j) as f32)
    }

    #[test]
    fn ndarray_views_become_matrix_views_without_copying() {
        let a = sample();
        for nd in [
            a.view(),
            a.t(),
            a.slice(s![1..4, 2..7;2]),
            a.slice(s![1..4, 2..7;2]).reversed_axes(),
        ] {
            let v = MatrixView::try_from(nd).unwrap();
            assert_eq!(v.shape(), nd.dim());
            assert_eq!(v.as_ptr(), nd.as_ptr(), "zero-copy");
            for ((i, j), x) in nd.indexed_iter() {
                assert_eq!(v[(i, j)], *x);
            }
        }
        // A single row or column: its other stride is never used.
        let col = a.slice(s![.., 3..4]);
        assert_eq!(
            MatrixView::try_from(col).unwrap().to_matrix().as_slice(),
            &[3.0, 13.0, 23.0, 33.0, 43.0]
        );
    }

    #[test]
    fn negative_strides_are_refused_as_views_and_copied_as_matrices() {
        let a = sample();
        let flipped = a.slice(s![..;-1, ..]);
        let e = MatrixView::try_from(flipped).unwrap_err();
        assert!(e.to_string().contains("non-negative"), "{e}");
        let m = Matrix::from(&flipped);
        assert_eq!(m.row(0), a.row(4).as_slice().unwrap());
        let mut b = sample();
        assert!(MatrixViewMut::try_from(b.slice_mut(s![.., ..;-1])).is_err());
        // One row reversed: a stride never stepped does not matter.
        assert!(MatrixView::try_from(a.slice(s![2..3;-1, ..])).is_ok());
    }

    #[test]
    fn mutable_views_write_through_both_ways() {
        let mut a = sample();
        {
            let mut v =
                MatrixViewMut::try_from(a.slice_mut(s![1..3, 1..3]).reversed_axes()).unwrap();
            v[(1, 0)] = -1.0; // (0, 1) of the block: a[[1, 2]]
            v *= 2.0;
        }
        assert_eq!(a[[1, 2]], -2.0);
        assert_eq!(a[[2, 2]], 44.0);
        // Disjoint column halves, interleaved in memory, both writable.
        let (left, right) = a.view_mut().split_at(Axis(1), 3);
        let (mut l, mut r) = (
            MatrixViewMut::try_from(left).unwrap(),
            MatrixViewMut::try_from(right).unwrap(),
        );
        l.fill(1.0);
        r.fill(2.0);
        assert_eq!(a.row(4).to_vec(), [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]);

        let mut m = Matrix::<f64>::zeros(3, 4);
        let ptr = m.as_slice().as_ptr();
        let mut nd = ArrayViewMut2::from(m.view_mut().submatrix_mut(1, 1, 2, 3).t_mut());
        assert_eq!(nd.dim(), (3, 2));
        nd[[2, 1]] = 9.0;
        nd.slice_mut(s![0, ..]).fill(4.0);
        assert_eq!(m[(2, 3)], 9.0);
        assert_eq!((m[(1, 1)], m[(2, 1)]), (4.0, 4.0));
        assert_eq!(m.sum(), 17.0);
        assert_eq!(m.as_slice().as_ptr(), ptr);
    }

    #[test]
    fn matrix_views_become_ndarray_views_without_copying() {
        let m = Matrix::from_fn(4, 6, |i, j| (i * 6 + j) as f32);
        for v in [
            m.view(),
            m.t(),
            m.view().submatrix(1, 2, 3, 3),
            m.t().submatrix(2, 1, 3, 2),
            m.col(4),
            m.view().submatrix(2, 0, 0, 3),
        ] {
            let nd = ArrayView2::from(v);
            assert_eq!(nd.dim(), v.shape());
            if !nd.is_empty() {
                assert_eq!(nd.as_ptr(), v.as_ptr(), "zero-copy");
            }
            for ((i, j), x) in nd.indexed_iter() {
                assert_eq!(*x, v[(i, j)]);
            }
            // ...and back again, still the same memory.
            let again = MatrixView::try_from(nd).unwrap();
            assert_eq!(again.to_matrix(), v.to_matrix());
        }
    }

    #[test]
    fn owned_arrays_move_their_buffer_when_row_major() {
        let a = sample();
        let ptr = a.as_ptr();
        let m = Matrix::from(a.clone());
        assert_eq!(Array2::from(m.clone()), a);
        let moved = Matrix::from(a);
        assert_eq!(moved.as_slice().as_ptr(), ptr);
        let back = Array2::from(moved);
        assert_eq!(back.as_ptr(), ptr);
        // Column-major or offset buffers are copied, with the right values.
        let f = Array2::from_shape_fn((3, 2).f(), |(i, j)| (i * 2 + j) as f64);
        assert_eq!(
            Matrix::from(f),
            Matrix::from([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
        );
        let mut big = Array2::from_shape_fn((4, 3), |(i, j)| (i * 3 + j) as f64);
        big.slice_collapse(s![2.., ..]);
        assert_eq!(
            Matrix::from(big),
            Matrix::from([[6.0, 7.0, 8.0], [9.0, 10.0, 11.0]])
        );
    }

    use ndarray::ShapeBuilder as _;
}

#[cfg(feature = "nalgebra")]
mod nalgebra_views {
    use matrix::{Matrix, MatrixView, MatrixViewMut};
    use nalgebra::{DMatrix, DMatrixView, DMatrixViewMut, Matrix3x2};

    fn sample() -> DMatrix<f64> {
        DMatrix::from_fn(5, 6, |i, j| (10 * i + j) as f64)
    }

    #[test]
    fn nalgebra_matrices_and_views_become_matrix_views_without_copying() {
        let d = sample();
        let v = MatrixView::from(&d);
        assert_eq!((v.row_stride(), v.col_stride()), (1, 5), "column-major");
        assert_eq!(v.as_ptr(), d.as_ptr());
        assert_eq!(
            v.to_matrix(),
            Matrix::from_fn(5, 6, |i, j| (10 * i + j) as f64)
        );
        let block = d.view((1, 2), (3, 4));
        let bv = MatrixView::from(block);
        assert_eq!(bv.as_ptr(), block.as_ptr());
        assert_eq!(bv[(2, 3)], d[(3, 5)]);
        let stepped = d.view_with_steps((0, 0), (3, 2), (1, 2));
        let sv = MatrixView::from(&stepped);
        assert_eq!(
            sv.to_matrix(),
            Matrix::from([[0.0, 3.0], [20.0, 23.0], [40.0, 43.0]])
        );
        let fixed = Matrix3x2::new(1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0);
        assert_eq!(
            Matrix::from(&fixed),
            Matrix::from([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        );
        // The product through gemm agrees with nalgebra's.
        let p = v * v.t();
        assert!((DMatrix::from(p) - &d * d.transpose()).abs().max() < 1e-9);
    }

    #[test]
    fn mutable_views_write_through_both_ways() {
        let mut d = sample();
        {
            let mut v = MatrixViewMut::try_from(&mut d).unwrap();
            assert_eq!(v.get(4, 5), Some(45.0));
            v.rb_mut().col_mut(0).fill(0.5);
        }
        {
            let mut v = MatrixViewMut::try_from(d.view_mut((1, 1), (2, 2))).unwrap();
            v[(1, 0)] = -1.0;
        }
        assert_eq!(d[(2, 1)], -1.0);

        let mut m = Matrix::<f32>::zeros(3, 4);
        let ptr = m.as_slice().as_ptr();
        let mut nd = DMatrixViewMut::from(m.view_mut().t_mut());
        assert_eq!(nd.shape(), (4, 3));
        nd[(3, 2)] = 7.0;
        nd.column_mut(0).fill(1.0);
        assert_eq!(m[(2, 3)], 7.0);
        assert_eq!(m.row(0), &[1.0; 4]);
        assert_eq!(m.as_slice().as_ptr(), ptr);
    }

    #[test]
    fn matrix_views_become_nalgebra_views_without_copying() {
        let m = Matrix::from_fn(4, 6, |i, j| (i * 6 + j) as f32);
        for v in [m.view(), m.t(), m.view().submatrix(1, 2, 3, 3), m.col(5)] {
            let d = DMatrixView::from(v);
            assert_eq!(d.shape(), v.shape());
            assert_eq!(d.as_ptr(), v.as_ptr(), "zero-copy");
            for i in 0..v.rows() {
                for j in 0..v.cols() {
                    assert_eq!(d[(i, j)], v[(i, j)]);
                }
            }
            assert_eq!(MatrixView::from(d).as_ptr(), v.as_ptr());
        }
        let owned = DMatrix::from(m.clone());
        assert_eq!(Matrix::from(&owned), m);
    }
}

//! matnet

//! matnet
pub mod download;
pub mod report;

pub mod plot;

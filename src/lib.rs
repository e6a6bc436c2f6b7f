//! matnet
pub mod download;
pub mod moons;
pub mod report;

pub mod plot;

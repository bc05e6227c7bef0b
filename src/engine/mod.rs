//! The engine every setting runs on: the replicate loop and what it records ([`run`]), run
//! control (Ctrl-C, progress: [`control`]), execution on the thread pool ([`exec`]), the
//! per-replicate random streams ([`rng`]) and the paradigms ([`paradigm`]).

pub mod control;
pub mod exec;
pub mod paradigm;
pub mod rng;
pub mod run;

pub use run::*;

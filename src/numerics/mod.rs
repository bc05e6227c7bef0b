//! Numerical building blocks shared by the settings: exact samplers (binomial, multinomial,
//! normals: [`sampling`], [`draw`]), integer logarithms ([`lnint`]) and Gaussian quadratic
//! forms ([`quadform`]).

pub mod draw;
pub mod linalg;
pub mod lnint;
pub mod quadform;
pub mod sampling;

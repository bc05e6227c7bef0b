//! Small random draws shared by the continuous settings.

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use crate::engine::rng::FastRng;

/// Fill `z` with independent standard normals.
pub fn fill_normal(z: &mut [f64], rng: &mut FastRng) {
    for v in z.iter_mut() {
        *v = StandardNormal.sample(rng);
    }
}

/// Put `k` uniformly chosen entries of `order` (without replacement) at its front: a partial
/// Fisher–Yates shuffle, uniform whatever order the entries are in.
pub fn choose_front(order: &mut [usize], k: usize, rng: &mut FastRng) {
    for i in 0..k {
        let j = rng.random_range(i..order.len());
        order.swap(i, j);
    }
}

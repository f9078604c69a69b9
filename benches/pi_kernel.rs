//! The pi kernel (`scenario::pi::partial_sum`, which stops every 65,536 terms to look
//! at the pause flag and report progress) beside the plain loop it wraps: the price
//! of being pausable should be lost in the noise.

#![allow(
    clippy::cast_precision_loss,
    reason = "bench arithmetic: counts and durations turned into rates and ratios to print, all far below where the casts lose anything"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use proclab::scenario::pi::partial_sum;

const TERMS: u64 = 10_000_000;

fn plain(terms: u64) -> f64 {
    let mut sum = 0.0f64;
    for k in 0..terms {
        let d = (2 * k + 1) as f64;
        sum += 1.0 / (d * d);
    }
    sum
}

fn kernel(c: &mut Criterion) {
    let mut group = c.benchmark_group("pi kernel, 10M terms");
    group.throughput(Throughput::Elements(TERMS));
    group.sample_size(20);
    group.bench_function("plain loop", |b| b.iter(|| plain(black_box(TERMS))));
    group.bench_function("partial_sum (pausable, with progress)", |b| {
        b.iter(|| {
            let mut calls = 0u64;
            let s = partial_sum(0..black_box(TERMS), |_| calls += 1);
            (s, calls)
        })
    });
    group.finish();
}

criterion_group!(benches, kernel);
criterion_main!(benches);

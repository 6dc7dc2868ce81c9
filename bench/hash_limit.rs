//! The hashing limit: argon2id verifications per second on all cores, in-process, with the
//! configured parameters — the ceiling for `authenticate` and password-writing operations.
//!
//! `cargo run --release --example hash_limit -- [--seconds S] [--memory-kib M] [--iterations T]
//! [--parallelism P] [--phc PASSWORD]`; `--phc` prints a PHC string for PASSWORD instead (the
//! benchmark seeds its users with it).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use userstore::store::password::{HashParams, Password, PasswordHasher};

fn main() {
    let mut params = HashParams::default();
    let mut seconds = 5.0f64;
    let mut phc_for: Option<String> = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or("");
        let number = || {
            value
                .parse()
                .unwrap_or_else(|_| panic!("{} needs a number", pair[0]))
        };
        match pair[0].as_str() {
            "--seconds" => seconds = value.parse().expect("--seconds needs a number"),
            "--memory-kib" => params.memory_kib = number(),
            "--iterations" => params.iterations = number(),
            "--parallelism" => params.parallelism = number(),
            "--phc" => phc_for = Some(value.to_string()),
            other => panic!("unknown argument {other}"),
        }
    }
    let hasher = PasswordHasher::new(params).expect("valid parameters");
    if let Some(password) = phc_for {
        println!("{}", hasher.hash(&Password::new(password)).expect("hash"));
        return;
    }
    let password = Password::new("Bench-user-pw1".into());
    let phc = hasher.hash(&password).expect("hash");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let done = AtomicU64::new(0);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while Instant::now() < deadline {
                    assert!(hasher.verify(&password, Some(&phc)));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!(
        "{{\"verifications_per_second\": {rate:.1}, \"threads\": {threads}, \"memory_kib\": {}, \"iterations\": {}, \"parallelism\": {}}}",
        params.memory_kib, params.iterations, params.parallelism
    );
}

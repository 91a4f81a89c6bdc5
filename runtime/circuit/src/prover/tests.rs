//! The parameter cache: pinned digests and what happens to a cache file
//! that is not exactly `Params::new(k)`.

use super::*;

/// A fresh, empty directory under the temp dir.
fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("zkc-params-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn digest_of_new(k: u32) -> (String, usize) {
    let bytes = params_bytes(&Params::<EqAffine>::new(k)).unwrap();
    (params_digest_of_bytes(&bytes), bytes.len())
}

fn check_pins(ks: impl Iterator<Item = u32>) {
    let mut wrong = vec![];
    for k in ks {
        let (got, len) = digest_of_new(k);
        assert_eq!(len as u64, params_file_len(k), "k = {k}");
        if pinned_params_digest(k) != Some(got.as_str()) {
            wrong.push(format!("    ({k}, \"{got}\"),"));
        }
    }
    assert!(
        wrong.is_empty(),
        "Params::new disagrees with PINNED_PARAMS_DIGESTS; the recomputed entries:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn pin_table_is_well_formed() {
    let ks: Vec<u32> = PINNED_PARAMS_DIGESTS.iter().map(|(k, _)| *k).collect();
    // Every k from 4 (the planner's smallest) up to at least 16 (bundled
    // models use 9..14, a ResNet block 16), contiguous and in order.
    let last = *ks.last().expect("pins");
    assert!(last >= 16, "pins end at k = {last}");
    assert!(last <= crate::plan::MAX_K);
    assert_eq!(ks, (4..=last).collect::<Vec<_>>());
    for (k, d) in PINNED_PARAMS_DIGESTS {
        assert_eq!(d.len(), 64, "k = {k}");
        assert!(
            d.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "k = {k}"
        );
    }
}

#[test]
fn pinned_digests_match_params_new() {
    // The small ones on every run, so the table cannot drift silently.
    check_pins(4..=10);
}

#[test]
#[ignore = "minutes: regenerates the parameters of every pinned k"]
fn pinned_digests_match_params_new_all_k() {
    check_pins(PINNED_PARAMS_DIGESTS.iter().map(|(k, _)| *k));
}

/// The honest cache file of `k`, with generators `i` and `j` swapped: still
/// a parseable parameter file of the same `k` (every point on the curve),
/// but with a discrete-log relation its writer knows.
fn swapped(honest: &[u8], i: usize, j: usize) -> Vec<u8> {
    let mut b = honest.to_vec();
    let (a, c) = (4 + 64 * i, 4 + 64 * j);
    let gi = b[a..a + 64].to_vec();
    let gj = b[c..c + 64].to_vec();
    b[a..a + 64].copy_from_slice(&gj);
    b[c..c + 64].copy_from_slice(&gi);
    b
}

#[test]
fn cache_is_written_then_read_and_a_tampered_file_is_replaced() {
    let k = 5;
    let dir = scratch("tamper");
    let path = dir.join(params_file_name(k));
    let honest = params_bytes(&Params::<EqAffine>::new(k)).unwrap();

    let (p, src) = params(k, &dir).unwrap();
    assert_eq!(src, ParamsSource::Generated { path: path.clone() });
    assert!(src.warning().is_none());
    assert_eq!(params_bytes(&p).unwrap(), honest);
    assert_eq!(std::fs::read(&path).unwrap(), honest);
    let (p, src) = params(k, &dir).unwrap();
    assert_eq!(src, ParamsSource::Cached { path: path.clone() });
    assert!(!src.generated());
    assert_eq!(params_bytes(&p).unwrap(), honest);

    let tampered = [
        // Two generators swapped.
        swapped(&honest, 0, 1),
        // A generator replaced by another valid point (w).
        {
            let mut b = honest.clone();
            let n = 1usize << k;
            let w = 4 + 64 * 2 * n;
            let wb = b[w..w + 64].to_vec();
            b[4..68].copy_from_slice(&wb);
            b
        },
        // Truncated, extended, empty, another k's file.
        honest[..honest.len() - 64].to_vec(),
        [honest.clone(), vec![0; 64]].concat(),
        vec![],
        params_bytes(&Params::<EqAffine>::new(k - 1)).unwrap(),
    ];
    for (case, bytes) in tampered.iter().enumerate() {
        std::fs::write(&path, bytes).unwrap();
        if case < 2 {
            // Parseable, same k: only the digest tells it apart.
            let parsed = Params::<EqAffine>::read_uncompressed(&mut &bytes[..]).unwrap();
            assert_eq!(parsed.k(), k);
        }
        let (p, src) = params(k, &dir).unwrap();
        let ParamsSource::Replaced { path: got, reason } = &src else {
            panic!("case {case}: {src:?}");
        };
        assert_eq!(got, &path);
        assert!(
            reason.contains("does not match the pinned digest for k = 5"),
            "{reason}"
        );
        let w = src.warning().unwrap();
        assert!(w.starts_with(&path.display().to_string()), "{w}");
        assert!(w.ends_with("; regenerated it"), "{w}");
        assert_eq!(params_bytes(&p).unwrap(), honest, "case {case}");
        assert_eq!(std::fs::read(&path).unwrap(), honest, "case {case}");
        assert_eq!(
            params(k, &dir).unwrap().1,
            ParamsSource::Cached { path: path.clone() }
        );
    }
    // No temporary files left behind.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from(params_file_name(k))]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unusable_cache_paths_are_errors_not_panics() {
    let k = 4;
    let dir = scratch("unusable");
    // The cache file's name is taken by a directory: it cannot be replaced.
    std::fs::create_dir_all(dir.join(params_file_name(k)).join("x")).unwrap();
    let e = params(k, &dir).unwrap_err().to_string();
    assert!(
        e.contains(&params_file_name(k)) && e.contains(CACHE_ENV),
        "{e}"
    );
    // The cache directory is a regular file.
    let file = dir.join("file");
    std::fs::write(&file, b"x").unwrap();
    let e = params(k, &file).unwrap_err().to_string();
    assert!(e.contains(CACHE_ENV), "{e}");
    // k beyond what halo2 supports.
    assert!(params(40, &dir).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pin table holding only the real pin of k = 5.
fn only_k5() -> Vec<(u32, &'static str)> {
    vec![(5, pinned_params_digest(5).expect("k = 5 is pinned"))]
}

#[test]
fn unpinned_k_is_generated_in_memory_and_never_touches_the_cache() {
    let dir = scratch("unpinned");
    let k = 4;
    let path = dir.join(params_file_name(k));
    // A planted file for k = 4 (a tampered but parseable one) is ignored.
    let honest = params_bytes(&Params::<EqAffine>::new(k)).unwrap();
    let planted = swapped(&honest, 2, 3);
    std::fs::write(&path, &planted).unwrap();
    let (p, src) = params_pinned(k, &dir, &only_k5()).unwrap();
    assert_eq!(src, ParamsSource::Unpinned);
    assert!(src.generated() && src.warning().is_none());
    assert_eq!(params_bytes(&p).unwrap(), honest);
    assert_eq!(std::fs::read(&path).unwrap(), planted, "left alone");
    // Nothing is written for an unpinned k either.
    std::fs::remove_file(&path).unwrap();
    params_pinned(k, &dir, &only_k5()).unwrap();
    assert!(!path.exists());
    // The pinned k of the same table uses the cache.
    let (_, src) = params_pinned(5, &dir, &only_k5()).unwrap();
    assert!(matches!(src, ParamsSource::Generated { .. }), "{src:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

const WRONG_PIN: [(u32, &str); 1] = [(4, "00000000000000000000000000000000")];

#[test]
fn generation_disagreeing_with_the_pin_is_an_error() {
    let dir = scratch("wrongpin");
    let e = params_pinned(4, &dir, &WRONG_PIN).unwrap_err().to_string();
    assert!(e.contains("parameter generation changed"), "{e}");
    assert!(!dir.join(params_file_name(4)).exists());
    let _ = std::fs::remove_dir_all(&dir);
}

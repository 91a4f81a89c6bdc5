//! `input.json` and `data.json` through `zkc::data`.

use super::*;

// ---------------------------------------------------------------------------
// input.json and data.json.

// JSON-level mutations (also used on proof files and the artifact's JSON).

#[derive(Clone, Debug)]
pub(crate) enum JsonOp {
    Replace(Value),
    AddInt(i64),
    Negate,
    SetChar(Index, char),
    Truncate(Index),
    Append(String),
    Upper,
    Push(Value),
    Pop,
    Clear,
    Swap(Index, Index),
    Dup(Index),
    /// Removes the value from its parent object or list.
    Remove,
    AddKey(String, Value),
}

pub(crate) fn json_op() -> impl Strategy<Value = JsonOp> {
    let hex: Vec<char> = "0123456789abcdefABCDEF".chars().collect();
    prop_oneof![
        2 => json_leaf().prop_map(JsonOp::Replace),
        1 => json_value().prop_map(JsonOp::Replace),
        3 => prop_oneof![Just(1i64), Just(-1), Just(1 << 32), Just(i64::MAX), Just(i64::MIN), any::<i64>()]
            .prop_map(JsonOp::AddInt),
        1 => Just(JsonOp::Negate),
        3 => (any::<Index>(), prop_oneof![8 => prop::sample::select(hex), 1 => Just('g'), 1 => Just('é'), 1 => any::<char>()])
            .prop_map(|(i, c)| JsonOp::SetChar(i, c)),
        1 => any::<Index>().prop_map(JsonOp::Truncate),
        1 => "[0-9a-f]{1,4}|é|zz".prop_map(JsonOp::Append),
        1 => Just(JsonOp::Upper),
        1 => json_leaf().prop_map(JsonOp::Push),
        1 => Just(JsonOp::Pop),
        1 => Just(JsonOp::Clear),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| JsonOp::Swap(a, b)),
        1 => any::<Index>().prop_map(JsonOp::Dup),
        2 => Just(JsonOp::Remove),
        1 => (json_key(), json_leaf()).prop_map(|(k, v)| JsonOp::AddKey(k, v)),
    ]
}

/// The value `op` makes of `v` (`None`: unchanged).
fn json_op_result(op: &JsonOp, v: &Value) -> Option<Value> {
    match (op, v) {
        (JsonOp::Replace(x), _) => Some(x.clone()),
        (JsonOp::AddInt(d), Value::Number(n)) => Some(if let Some(i) = n.as_i64() {
            json!(i.wrapping_add(*d))
        } else if let Some(u) = n.as_u64() {
            json!(u.wrapping_add(*d as u64))
        } else {
            json!(n.as_f64().unwrap_or(0.0) + *d as f64)
        }),
        (JsonOp::Negate, Value::Number(n)) => Some(if let Some(i) = n.as_i64() {
            json!(i.wrapping_neg())
        } else {
            json!(-n.as_f64().unwrap_or(0.0))
        }),
        (JsonOp::SetChar(i, c), Value::String(s)) if !s.is_empty() => {
            let mut chars: Vec<char> = s.chars().collect();
            let at = i.index(chars.len());
            chars[at] = *c;
            Some(Value::String(chars.into_iter().collect()))
        }
        (JsonOp::Truncate(i), Value::String(s)) => Some(Value::String(
            s.chars().take(i.index(s.len() + 1)).collect(),
        )),
        (JsonOp::Append(x), Value::String(s)) => Some(Value::String(format!("{s}{x}"))),
        (JsonOp::Upper, Value::String(s)) => Some(Value::String(s.to_uppercase())),
        (JsonOp::Push(x), Value::Array(a)) => {
            let mut a = a.clone();
            a.push(x.clone());
            Some(Value::Array(a))
        }
        (JsonOp::Pop, Value::Array(a)) => {
            Some(Value::Array(a[..a.len().saturating_sub(1)].to_vec()))
        }
        (JsonOp::Clear, Value::Array(_)) => Some(json!([])),
        (JsonOp::Clear, Value::String(_)) => Some(json!("")),
        (JsonOp::Swap(x, y), Value::Array(a)) if !a.is_empty() => {
            let mut a = a.clone();
            let n = a.len();
            a.swap(x.index(n), y.index(n));
            Some(Value::Array(a))
        }
        (JsonOp::Dup(x), Value::Array(a)) if !a.is_empty() => {
            let mut a = a.clone();
            let e = a[x.index(a.len())].clone();
            a.push(e);
            Some(Value::Array(a))
        }
        (JsonOp::AddKey(k, x), Value::Object(o)) => {
            let mut o = o.clone();
            o.insert(k.clone(), x.clone());
            Some(Value::Object(o))
        }
        _ => None,
    }
}

pub(crate) fn apply_json(doc: &mut Value, pointer: &str, op: &JsonOp) {
    if let JsonOp::Remove = op {
        let Some(cut) = pointer.rfind('/') else {
            return;
        };
        let (parent, last) = (&pointer[..cut], &pointer[cut + 1..]);
        match doc.pointer_mut(parent) {
            Some(Value::Object(o)) => {
                o.remove(last);
            }
            Some(Value::Array(a)) => {
                if let Some(i) = last.parse::<usize>().ok().filter(|&i| i < a.len()) {
                    a.remove(i);
                }
            }
            _ => {}
        }
        return;
    }
    if let Some(v) = doc.pointer_mut(pointer) {
        if let Some(new) = json_op_result(op, v) {
            *v = new;
        }
    }
}

/// Applies `(pointer, op)` pairs, the pointers chosen among `doc`'s values.
pub(crate) fn mutate_json(doc: &Value, ops: &[(Index, JsonOp)]) -> Value {
    let mut d = doc.clone();
    for (i, op) in ops {
        let mut pointers = vec![];
        json_pointers(&d, String::new(), &mut pointers);
        let p = pointers[i.index(pointers.len())].clone();
        apply_json(&mut d, &p, op);
    }
    d
}

fn mi(name: &str, shape: &[usize]) -> ManifestInput {
    ManifestInput {
        name: name.into(),
        shape: shape.to_vec(),
    }
}

/// Input lists to read against: each bundled model's, two inputs, and a
/// scalar with an empty input.
fn input_sets() -> &'static [Vec<ManifestInput>] {
    static S: OnceLock<Vec<Vec<ManifestInput>>> = OnceLock::new();
    S.get_or_init(|| {
        let mut v: Vec<_> = compiled().iter().map(|c| c.inputs.clone()).collect();
        v.push(vec![mi("a", &[2, 3]), mi("b", &[4])]);
        v.push(vec![mi("s", &[]), mi("z", &[1, 0]), mi("t", &[1, 1, 2])]);
        v
    })
}

fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (-2.0f64..2.0).prop_map(|f| json!(f)),
        1 => any::<i64>().prop_map(|i| json!(i)),
        1 => any::<u64>().prop_map(|u| json!(u)),
        2 => prop::sample::select(vec![
            1e39, -1e39, 3.402_823_5e38, 3.5e38, f64::MAX, f64::MIN, 1e-46, -0.0, 5e-324, 0.0, 1.0,
        ])
        .prop_map(|f| json!(f)),
        1 => any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => json_number(),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => "[a-z_ ]{0,6}".prop_map(Value::String),
    ]
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("input_data".to_string()),
        Just("inputs".to_string()),
        Just("labels".to_string()),
        "[a-z]{1,5}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(6, 256, 16, |inner| {
        prop_oneof![
            3 => vec(inner.clone(), 0..16).prop_map(Value::Array),
            1 => vec((json_key(), inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A document close to a valid one, with one thing wrong (or nothing).
#[derive(Clone, Debug)]
struct NearValid {
    /// 0: `input_data`, 1: `inputs` (+ `labels`), 2: both.
    layout: u8,
    samples: usize,
    /// Change of the element count of the victim input.
    delta: i64,
    victim: Index,
    /// 0: flat lists, 1: nested like the shape, 2: wrapped in one more list.
    nesting: u8,
    /// A value replacing one element of the first sample.
    poison: Option<(Index, Value)>,
    /// 0 none, 1 null, 2 class ids, 3 one label too many, 4 negative reals,
    /// 5 vectors, 6 anything.
    labels: (u8, Value),
}

fn near_valid() -> impl Strategy<Value = NearValid> {
    (
        0u8..3,
        0usize..4,
        prop_oneof![4 => Just(0i64), 1 => -2i64..=2],
        any::<Index>(),
        0u8..3,
        prop::option::weighted(0.3, (any::<Index>(), json_leaf())),
        (0u8..7, json_value()),
    )
        .prop_map(
            |(layout, samples, delta, victim, nesting, poison, labels)| NearValid {
                layout,
                samples,
                delta,
                victim,
                nesting,
                poison,
                labels,
            },
        )
}

/// A flat list nested like `shape` (when the counts agree).
fn nest(values: Vec<Value>, shape: &[usize]) -> Value {
    if shape.len() <= 1 || values.len() != zkc_ir::numel(shape) {
        return Value::Array(values);
    }
    let inner: usize = shape[1..].iter().product();
    if inner == 0 {
        return Value::Array((0..shape[0]).map(|_| nest(vec![], &shape[1..])).collect());
    }
    Value::Array(
        values
            .chunks(inner)
            .map(|c| nest(c.to_vec(), &shape[1..]))
            .collect(),
    )
}

fn build_doc(nv: &NearValid, inputs: &[ManifestInput]) -> Value {
    let victim = nv.victim.index(inputs.len().max(1));
    let sample = |s: usize| -> Vec<Value> {
        inputs
            .iter()
            .enumerate()
            .map(|(i, inp)| {
                let n = zkc_ir::checked_numel(&inp.shape).unwrap_or(0).min(1 << 12);
                let n = if i == victim {
                    (n as i64 + nv.delta).max(0) as usize
                } else {
                    n
                };
                let mut vals: Vec<Value> = (0..n)
                    .map(|k| json!(((k + s) % 7) as f64 / 8.0 - 0.4))
                    .collect();
                if let (0, Some((at, leaf))) = (s, &nv.poison) {
                    if i == victim {
                        if vals.is_empty() {
                            vals.push(leaf.clone());
                        } else {
                            let at = at.index(vals.len());
                            vals[at] = leaf.clone();
                        }
                    }
                }
                match nv.nesting {
                    0 => Value::Array(vals),
                    1 => nest(vals, &inp.shape),
                    _ => json!([vals]),
                }
            })
            .collect()
    };
    let rows: Vec<Value> = (0..nv.samples)
        .map(|s| {
            let p = sample(s);
            if p.len() == 1 {
                p.into_iter().next().unwrap()
            } else {
                Value::Array(p)
            }
        })
        .collect();
    let n = rows.len();
    let labels = match nv.labels.0 {
        0 => None,
        1 => Some(Value::Null),
        2 => Some(json!((0..n).collect::<Vec<_>>())),
        3 => Some(json!((0..=n).collect::<Vec<_>>())),
        4 => Some(json!((0..n).map(|i| -(i as f64) - 0.5).collect::<Vec<_>>())),
        5 => Some(Value::Array((0..n).map(|i| json!([i, 0.5])).collect())),
        _ => Some(nv.labels.1.clone()),
    };
    let mut doc = serde_json::Map::new();
    if nv.layout != 1 {
        doc.insert("input_data".into(), Value::Array(sample(0)));
    }
    if nv.layout != 0 {
        doc.insert("inputs".into(), Value::Array(rows));
        if let Some(l) = labels {
            doc.insert("labels".into(), l);
        }
    }
    Value::Object(doc)
}

fn check_sample(x: &[Vec<f32>], inputs: &[ManifestInput]) -> Result<(), TestCaseError> {
    prop_assert_eq!(x.len(), inputs.len());
    for (v, inp) in x.iter().zip(inputs) {
        prop_assert_eq!(v.len(), zkc_ir::numel(&inp.shape));
        prop_assert!(v.iter().all(|f| f.is_finite()));
    }
    Ok(())
}

/// Reads `path` as an input and as a dataset: no panic, and what is accepted
/// has the promised form.
fn check_data(path: &Path, inputs: &[ManifestInput]) -> Result<Outcome, TestCaseError> {
    let t = Instant::now();
    let input = zkc::data::read_input(path, inputs);
    if let Ok(x) = &input {
        check_sample(x, inputs)?;
    }
    let dataset = zkc::data::read_dataset(path, inputs);
    if let Ok(d) = &dataset {
        prop_assert!(!d.samples.is_empty());
        for s in &d.samples {
            check_sample(s, inputs)?;
        }
        match &d.labels {
            Some(zkc::data::Labels::Classes(c)) => prop_assert_eq!(c.len(), d.samples.len()),
            Some(zkc::data::Labels::Targets(t)) => {
                prop_assert_eq!(t.len(), d.samples.len());
                prop_assert!(t.iter().flatten().all(|f| f.is_finite()));
            }
            None => {}
        }
    }
    prop_assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    Ok(match (input.is_ok(), dataset.is_ok()) {
        (true, true) => "input and dataset accepted",
        (true, false) => "input accepted",
        (false, true) => "dataset accepted",
        (false, false) => "refused",
    })
}

#[test]
fn json_random_documents() {
    // Random JSON documents, bare or under the keys zkc looks for.
    let strategy = (any::<Index>(), json_value(), 0u8..4, json_key());
    check(
        "json_random_documents",
        2000,
        0x5eed_0003,
        strategy,
        |(set, doc, wrap, key)| {
            let inputs = &input_sets()[set.index(input_sets().len())];
            let doc = match wrap {
                0 => doc,
                1 => json!({ key: doc }),
                2 => json!({ "input_data": doc }),
                _ => json!({ "inputs": doc.clone(), "labels": doc }),
            };
            let path = scratch().join("json-random.json");
            std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
            check_data(&path, inputs)
        },
    );
}

#[test]
fn json_near_valid_documents() {
    // Nearly valid documents: one count, nesting, value or label wrong.
    let strategy = (any::<Index>(), near_valid());
    check(
        "json_near_valid_documents",
        2000,
        0x5eed_0008,
        strategy,
        |(set, nv)| {
            let inputs = &input_sets()[set.index(input_sets().len())];
            let path = scratch().join("json-near.json");
            std::fs::write(&path, serde_json::to_vec(&build_doc(&nv, inputs)).unwrap()).unwrap();
            check_data(&path, inputs)
        },
    );
}

/// The bundled data files: `(path, inputs of its model)`.
fn data_files() -> &'static [(PathBuf, Vec<ManifestInput>)] {
    static F: OnceLock<Vec<(PathBuf, Vec<ManifestInput>)>> = OnceLock::new();
    F.get_or_init(|| {
        let mut v = vec![];
        for c in compiled() {
            for f in ["input.json", "data.json", "calibration.json"] {
                let p = models_dir().join(&c.name).join(f);
                if p.is_file() {
                    v.push((p, c.inputs.clone()));
                }
            }
        }
        v
    })
}

#[test]
fn json_mutated_files() {
    // The bundled `input.json`, `data.json` and `calibration.json`, mutated
    // as bytes or as JSON values.
    let strategy = (
        any::<Index>(),
        prop_oneof![
            vec(byte_mut(), 1..6).prop_map(Err),
            vec((any::<Index>(), json_op()), 1..4).prop_map(Ok),
        ],
    );
    check(
        "json_mutated_files",
        1000,
        0x5eed_0006,
        strategy,
        |(file, m)| {
            let (p, inputs) = &data_files()[file.index(data_files().len())];
            let mut b = std::fs::read(p).unwrap();
            match &m {
                Err(muts) => apply_bytes(&mut b, muts),
                Ok(ops) => {
                    let doc: Value = serde_json::from_slice(&b).unwrap();
                    b = serde_json::to_vec(&mutate_json(&doc, ops)).unwrap();
                }
            }
            let path = scratch().join("json-mutated.json");
            std::fs::write(&path, &b).unwrap();
            check_data(&path, inputs)
        },
    );
}

/// Writes `text` and reads it with both readers, each in a watchdog.
fn hostile_data(what: &str, text: String, inputs: Vec<ManifestInput>, budget: usize) {
    let path = scratch().join("hostile.json");
    std::fs::write(&path, text.as_bytes()).unwrap();
    drop(text);
    let (p, i) = (path.clone(), inputs.clone());
    let r = within(3 * HOSTILE_SECONDS, move || {
        measure(|| zkc::data::read_input(&p, &i))
    });
    assert_refused(&format!("{what} (read_input)"), r, budget);
    let (p, i) = (path.clone(), inputs);
    let r = within(3 * HOSTILE_SECONDS, move || {
        measure(|| zkc::data::read_dataset(&p, &i))
    });
    assert_refused(&format!("{what} (read_dataset)"), r, budget);
    let _ = std::fs::remove_file(&path);
}

pub(crate) fn zeros_list(n: usize) -> String {
    let mut s = String::with_capacity(2 * n + 2);
    s.push('[');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push('0');
    }
    s.push(']');
    s
}

pub(crate) const TEN_MILLION: usize = 10_000_000;

/// Documents with one list of 10^7 elements (about 20 MB each) where a
/// model input is read: `(what, text)`.
fn ten_million_documents() -> Vec<(&'static str, String)> {
    let big = zeros_list(TEN_MILLION);
    vec![
        (
            "input_data [[0; 10^7]]",
            format!("{{\"input_data\": [{big}]}}"),
        ),
        ("inputs [[0; 10^7]]", format!("{{\"inputs\": [{big}]}}")),
    ]
}

/// Heap a data reader may use per byte of JSON (measured: about 5; a
/// `serde_json::Value` tree, as zkc once built, takes about 54).
const BYTES_PER_JSON_BYTE: usize = 16;

isolated_test! {
    /// 10^7-element lists (20 MB files) where an input is read: refused
    /// within seconds and [`BYTES_PER_JSON_BYTE`].
    fn hostile_json_ten_million_elements() {
        let inputs = vec![mi("input", &[1, 64])];
        for (what, text) in ten_million_documents() {
            let budget = BYTES_PER_JSON_BYTE * text.len();
            hostile_data(what, text, inputs.clone(), budget);
        }
    }
}

isolated_test! {
    /// 10^7 one-number samples, or 10^7 labels for one sample (20 MB
    /// files). Every sample and label used to be parsed before any was
    /// checked (1.4 GB and 2.5 s); compiler/src/data.rs now checks each
    /// sample while it is parsed and bounds the labels by the sample count,
    /// so both stop at the first bad value.
    fn hostile_json_many_samples() {
        let inputs = vec![mi("input", &[1, 64])];
        let big = zeros_list(TEN_MILLION);
        let one = zeros_list(64);
        for (what, text) in [
            ("inputs [0; 10^7]", format!("{{\"inputs\": {big}}}")),
            ("labels [0; 10^7]", format!("{{\"inputs\": [{one}], \"labels\": {big}}}")),
        ] {
            let budget = BYTES_PER_JSON_BYTE * text.len();
            hostile_data(what, text, inputs.clone(), budget);
        }
    }
}

isolated_test! {
    /// Lists nested a million levels deep.
    fn hostile_json_deep_nesting() {
        let n = 1_000_000;
        let deep = format!("{}0{}", "[".repeat(n), "]".repeat(n));
        let inputs = vec![mi("input", &[1, 64])];
        hostile_data("nested 10^6 deep", format!("{{\"input_data\": {deep}}}"), inputs.clone(), 64 * MIB);
        hostile_data("inputs nested 10^6 deep", format!("{{\"inputs\": {deep}}}"), inputs, 64 * MIB);
    }
}

isolated_test! {
    /// A manifest shape whose element count overflows: the data reader used
    /// to multiply the dims unchecked, accepting an empty list for a
    /// 2^64-element input in release builds; it now uses `checked_numel`.
    fn hostile_manifest_shape_overflow() {
        let path = scratch().join("overflow.json");
        std::fs::write(&path, r#"{"input_data": [[]]}"#).unwrap();
        let inputs = vec![mi("input", &[1 << 32, 1 << 32])];
        let r = measure(|| zkc::data::read_input(&path, &inputs));
        assert_refused("input shape [2^32, 2^32] read as []", r, MIB);
    }
}

//! All roots in `Fp` of a univariate polynomial: the distinct roots are the
//! roots of `gcd(f, x^p - x)` (computed as `x^p mod f` by repeated
//! squaring), split into linear factors by Cantor–Zassenhaus
//! (`gcd(g, (x + a)^((p-1)/2) - 1)` for `a = 1, 2, ...`).

use halo2_proofs::arithmetic::Field;
use halo2_proofs::pasta::group::ff::PrimeField;
use halo2_proofs::pasta::Fp;

/// Coefficients, lowest degree first.
type U = Vec<Fp>;

fn trim(mut a: U) -> U {
    while a.last().is_some_and(|c| bool::from(c.is_zero())) {
        a.pop();
    }
    a
}

fn sub(a: &[Fp], b: &[Fp]) -> U {
    let mut r = vec![Fp::zero(); a.len().max(b.len())];
    for (i, c) in a.iter().enumerate() {
        r[i] += c;
    }
    for (i, c) in b.iter().enumerate() {
        r[i] -= c;
    }
    trim(r)
}

/// `a mod m` (`m` non-zero, trimmed).
fn rem(a: &[Fp], m: &[Fp]) -> U {
    let mut r = trim(a.to_vec());
    let dm = m.len() - 1;
    let inv = m[dm].invert().unwrap();
    while r.len() > dm {
        let d = r.len() - 1;
        let f = r[d] * inv;
        for i in 0..=dm {
            r[d - dm + i] -= f * m[i];
        }
        r = trim(r);
    }
    r
}

fn mulmod(a: &[Fp], b: &[Fp], m: &[Fp]) -> U {
    if a.is_empty() || b.is_empty() {
        return vec![];
    }
    let mut r = vec![Fp::zero(); a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            r[i + j] += *x * y;
        }
    }
    rem(&r, m)
}

fn gcd(a: &[Fp], b: &[Fp]) -> U {
    let (mut a, mut b) = (trim(a.to_vec()), trim(b.to_vec()));
    while !b.is_empty() {
        let r = rem(&a, &b);
        a = b;
        b = r;
    }
    a
}

/// `base^e mod m`, `e` as little-endian bytes.
fn powmod(base: &[Fp], e: &[u8], m: &[Fp]) -> U {
    let mut r = rem(&[Fp::one()], m);
    for byte in e.iter().rev() {
        for bit in (0..8).rev() {
            r = mulmod(&r, &r, m);
            if (byte >> bit) & 1 == 1 {
                r = mulmod(&r, base, m);
            }
        }
    }
    r
}

/// Little-endian bytes of `p - 1`.
fn p_minus_1() -> Vec<u8> {
    (-Fp::one()).to_repr().as_ref().to_vec()
}

/// Little-endian bytes of `(p - 1) / 2`.
fn half_p_minus_1() -> Vec<u8> {
    let mut b = p_minus_1();
    let mut carry = 0u8;
    for x in b.iter_mut().rev() {
        let nc = *x & 1;
        *x = (*x >> 1) | (carry << 7);
        carry = nc;
    }
    b
}

/// The product of `x - r` over the distinct roots `r` of `f` in `Fp`.
fn root_part(f: &[Fp]) -> U {
    let f = trim(f.to_vec());
    if f.len() <= 1 {
        return f;
    }
    let x = rem(&[Fp::zero(), Fp::one()], &f);
    // x^p = x^(p-1) * x
    let xp = mulmod(&powmod(&x, &p_minus_1(), &f), &x, &f);
    gcd(&f, &sub(&xp, &x))
}

fn split(g: U, out: &mut Vec<Fp>, half: &[u8]) {
    let d = g.len() - 1;
    if d == 0 {
        return;
    }
    if d == 1 {
        out.push(-g[0] * g[1].invert().unwrap());
        return;
    }
    let mut a = Fp::one();
    loop {
        let h = powmod(&[a, Fp::one()], half, &g);
        let h = gcd(&g, &sub(&h, &[Fp::one()]));
        let dh = h.len().saturating_sub(1);
        if dh > 0 && dh < d {
            let other = div_exact(&g, &h);
            split(h, out, half);
            split(other, out, half);
            return;
        }
        a += Fp::one();
    }
}

/// `a / b` for `b` dividing `a`.
fn div_exact(a: &[Fp], b: &[Fp]) -> U {
    let mut r = trim(a.to_vec());
    let db = b.len() - 1;
    let inv = b[db].invert().unwrap();
    let mut q = vec![Fp::zero(); r.len() - db];
    while r.len() > db {
        let d = r.len() - 1;
        let f = r[d] * inv;
        q[d - db] = f;
        for i in 0..=db {
            r[d - db + i] -= f * b[i];
        }
        r = trim(r);
    }
    q
}

/// The distinct roots in `Fp` of the polynomial with coefficients `f`
/// (lowest degree first). `None` for the zero polynomial (every element is
/// a root). Results of degree 2 and more are memoized per thread (the same
/// constraint recurs at many rows).
pub fn roots(f: &[Fp]) -> Option<Vec<Fp>> {
    let f = trim(f.to_vec());
    match f.len() {
        0 => return None,
        1 => return Some(vec![]),
        2 => return Some(vec![-f[0] * f[1].invert().unwrap()]),
        _ => {}
    }
    let k: Vec<[u8; 32]> = f.iter().map(super::record::key).collect();
    if let Some(r) = MEMO.with(|m| m.borrow().get(&k).cloned()) {
        return Some(r);
    }
    let g = root_part(&f);
    let mut out = vec![];
    if g.len() > 1 {
        split(g, &mut out, &half_p_minus_1());
    }
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= 1 << 16 {
            m.clear();
        }
        m.insert(k, out.clone());
    });
    Some(out)
}

type Memo = std::cell::RefCell<std::collections::HashMap<Vec<[u8; 32]>, Vec<Fp>>>;

thread_local! {
    static MEMO: Memo = Memo::default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_and_irreducible() {
        // d (d - 1) (d + 1) = d^3 - d
        let mut r = roots(&[Fp::zero(), -Fp::one(), Fp::zero(), Fp::one()]).unwrap();
        let key = |x: &Fp| x.to_repr().as_ref().to_vec();
        r.sort_by_key(key);
        let mut want = vec![Fp::zero(), Fp::one(), -Fp::one()];
        want.sort_by_key(key);
        assert_eq!(r, want);
        // x^2 - 5: 5 is a non-residue mod p? whichever it is, roots square to 5
        for x in roots(&[-Fp::from(5), Fp::zero(), Fp::one()]).unwrap() {
            assert_eq!(x * x, Fp::from(5));
        }
        // (x - 3)^2 (x + 7): distinct roots 3 and -7
        let f = [Fp::from(63), -Fp::from(33), Fp::one(), Fp::one()];
        assert_eq!(roots(&f).unwrap().len(), 2);
        assert!(roots(&[Fp::zero()]).is_none());
        assert_eq!(roots(&[Fp::one()]).unwrap(), vec![]);
    }
}

//! The rules for a home's codes (members', duress, guests'): their form, and
//! which codes may not stand beside each other (`../shared/ALARM.md`: a
//! code equal to another, or equal but for a last digit within 2 of it,
//! would let a slip of the finger pass for another code, or reveal one).

use crate::error::DomainError;

/// The shortest and longest code a keypad takes.
pub const CODE_DIGITS: std::ops::RangeInclusive<usize> = 4..=8;

/// A code is 4 to 8 digits.
pub fn check_form(code: &str) -> Result<(), DomainError> {
    if !CODE_DIGITS.contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::invalid("code", "must be 4 to 8 digits"));
    }
    Ok(())
}

/// Whether `a` and `b` may not both be codes of one home: equal, or of one
/// length and equal but for last digits at most 2 apart.
pub fn too_close(a: &str, b: &str) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    let (a_head, a_last) = a.split_at(a.len() - 1);
    let (b_head, b_last) = b.split_at(b.len() - 1);
    let digit = |s: &str| s.bytes().next().map(|d| i32::from(d) - i32::from(b'0'));
    a_head == b_head && matches!((digit(a_last), digit(b_last)), (Some(x), Some(y)) if (x - y).abs() <= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_digits_of_a_keypad_length() {
        for ok in ["1234", "00000000", "482913"] {
            check_form(ok).unwrap();
        }
        for bad in ["123", "123456789", "12a4", "", "12 34"] {
            assert_eq!(check_form(bad).unwrap_err().details["field"], "code", "{bad:?}");
        }
    }

    #[test]
    fn a_code_forbids_its_neighbours_by_the_last_digit() {
        for near in ["1232", "1233", "1234", "1235", "1236"] {
            assert!(too_close("1234", near), "1234 forbids {near}");
        }
        for far in ["1231", "1237", "2234", "12345", "1334"] {
            assert!(!too_close("1234", far), "1234 allows {far}");
        }
        assert!(too_close("5670", "5672") && !too_close("5670", "5673"));
    }
}

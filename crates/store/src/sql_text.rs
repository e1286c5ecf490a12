//! Parameter lists for statements whose row count varies (PostgreSQL's
//! multi-row writes: one statement for a whole group instead of one per
//! row).

/// `$first, $first+1, ...` for `count` parameters.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    let mut text = String::with_capacity(count * 5);
    for n in first..first + count {
        if n > first {
            text.push_str(", ");
        }
        text.push('$');
        text.push_str(&n.to_string());
    }
    text
}

/// `($1, .., $width), ($width+1, ..)` for `rows` rows.
pub(crate) fn value_rows(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(row * width + 1, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Like [`value_rows`], from `$first`, each parameter cast to its column's
/// type: a `VALUES` list joined to a table in `UPDATE … FROM` has no
/// column to take its types from, and a NULL would otherwise be `text`.
pub(crate) fn typed_value_rows(first: usize, rows: usize, types: &[&str]) -> String {
    let width = types.len();
    (0..rows)
        .map(|row| {
            let cells = types
                .iter()
                .enumerate()
                .map(|(column, kind)| format!("${}::{kind}", first + row * width + column))
                .collect::<Vec<_>>();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::{placeholders, typed_value_rows, value_rows};

    #[test]
    fn placeholders_are_numbered_from_the_first() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(value_rows(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(
            typed_value_rows(2, 2, &["text", "int8"]),
            "($2::text, $3::int8), ($4::text, $5::int8)"
        );
    }
}

//! Fitting text output to a width: word-wrapped lines with a hanging
//! indent, tables that wrap their cells, cut cells and summarised lists.
//! Widths count characters; the output uses no double-width characters of
//! its own.

use std::fmt::Write;

use comfy_table::{presets::UTF8_BORDERS_ONLY, ColumnConstraint, ContentArrangement, Table};

/// Columns of text output when stdout is not a terminal.
pub const DEFAULT_WIDTH: usize = 100;

/// Narrowest width laid out; below it lines may be longer than asked.
const MIN_WIDTH: usize = 40;

/// Output width in force: `width`, but never below [`MIN_WIDTH`].
pub fn usable(width: usize) -> usize {
    width.max(MIN_WIDTH)
}

/// Writes `text` indented by `indent` spaces, wrapped at spaces to `width`
/// columns; continuation lines are indented `hang` spaces more.
pub fn wrapped(out: &mut String, indent: usize, hang: usize, text: &str, width: usize) {
    let first = width.saturating_sub(indent).max(1);
    let rest = width.saturating_sub(indent + hang).max(1);
    for (i, line) in wrap(text, first, rest).iter().enumerate() {
        let pad = if i == 0 { indent } else { indent + hang };
        let _ = writeln!(out, "{:pad$}{line}", "");
    }
}

/// Splits `text` into lines of at most `first` characters (the first line)
/// and `rest` (the others), at spaces, keeping the spacing between words
/// on a line; a word longer than a line is split.
pub fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for (gap, word) in words(text) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let room = if lines.is_empty() { first } else { rest };
            let gap = if used > 0 { gap } else { 0 };
            if used + gap + word.len() <= room {
                line.extend(std::iter::repeat_n(' ', gap).chain(word.iter().copied()));
                used += gap + word.len();
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                used = 0;
                continue;
            }
            // a word longer than a whole line: fill the line with its start
            let tail = word.split_off(room.min(word.len()));
            lines.push(word.into_iter().collect());
            word = tail;
            if word.is_empty() {
                break;
            }
        }
    }
    if used > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The words of `text`, each with the number of spaces before it.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut gap = 0;
    for piece in text.split(' ') {
        if piece.is_empty() {
            gap += 1;
        } else {
            words.push((gap + usize::from(!words.is_empty()), piece));
            gap = 0;
        }
    }
    words
}

/// `text` cut to `max` characters, with `…` when something was cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// A list joined by `; ` (one item per recipient, host, ...) kept to about
/// `budget` characters: the leading items that fit (at least one), then
/// `and N more`. Shorter lists come back whole.
pub fn summarise_list(text: &str, budget: usize) -> String {
    let items: Vec<&str> = text.split("; ").collect();
    if text.chars().count() <= budget || items.len() < 3 {
        return text.to_string();
    }
    let mut kept: Vec<&str> = Vec::new();
    let mut used = 0;
    for item in &items {
        let tail = format!("; and {} more", items.len() - kept.len() - 1);
        let cost = item.chars().count() + 2;
        if !kept.is_empty() && used + cost + tail.chars().count() > budget {
            break;
        }
        kept.push(item);
        used += cost;
    }
    if kept.len() == items.len() {
        return text.to_string();
    }
    format!("{}; and {} more", kept.join("; "), items.len() - kept.len())
}

/// A bordered table whose cells wrap so that it is at most `width` wide;
/// columns are two spaces apart (the preset's blank separator and one
/// space of padding) to leave the room to the text.
pub fn table(width: usize, header: Vec<&str>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width).unwrap_or(u16::MAX))
        .set_header(header);
    for column in table.column_iter_mut().skip(1) {
        column.set_padding((0, 1));
    }
    table
}

/// Keeps column `index` as wide as its widest cell (times, queue IDs, DSNs
/// read badly when broken).
pub fn keep_whole(table: &mut Table, index: usize) {
    if let Some(column) = table.column_mut(index) {
        column.set_constraint(ColumnConstraint::ContentWidth);
    }
}

/// Writes a table, each line indented by `indent` spaces.
pub fn push_table(out: &mut String, indent: usize, table: &Table) {
    for line in table.to_string().lines() {
        let _ = writeln!(out, "{:indent$}{line}", "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_and_splits_only_overlong_ones() {
        assert_eq!(wrap("one two three", 7, 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij x", 4, 4), ["abcd", "efgh", "ij x"]);
        assert_eq!(wrap("", 5, 5), [""]);
        assert_eq!(wrap("a bb", 1, 3), ["a", "bb"]);
        assert_eq!(
            wrap("path:   a → b   (1 hop)", 40, 40),
            ["path:   a → b   (1 hop)"]
        );
        assert_eq!(wrap("from:   x", 6, 6), ["from:", "x"]);
    }

    #[test]
    fn wrapped_lines_hang_under_the_first() {
        let mut out = String::new();
        wrapped(&mut out, 2, 4, "note: one two three four", 14);
        assert_eq!(out, "  note: one\n      two\n      three\n      four\n");
    }

    #[test]
    fn long_lists_keep_their_head_and_count_the_rest() {
        let list: Vec<String> = (0..40).map(|i| format!("u{i}@x delivered on h")).collect();
        let text = summarise_list(&list.join("; "), 60);
        assert_eq!(
            text,
            "u0@x delivered on h; u1@x delivered on h; and 38 more"
        );
        assert!(text.chars().count() <= 60);
        assert_eq!(summarise_list("a; b; c", 3), "a; and 2 more");
        assert_eq!(summarise_list("short; list; here", 60), "short; list; here");
        assert_eq!(summarise_list("two; items", 3), "two; items");
    }

    #[test]
    fn cutting_marks_the_cut() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}

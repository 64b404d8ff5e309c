//! A plain CSV file's records read in pieces, on several threads at once,
//! with the `csv` crate and plain reads.
//!
//! Plain reads, not a mapping: a file cut short under a mapping kills the
//! process, so a mapped file must first be copied (see `raw::open`), and
//! every page of a mapped file read stays in the process's memory until
//! the mapping goes. Here each thread holds one piece at a time.
//!
//! Pieces are cut at line ends outside quoted fields: a quoted field may
//! hold a line end. Whether a cut falls inside a quoted field is the
//! parity of the quote characters before it (RFC 4180 doubles a quote
//! inside a quoted field). The read speculates, as DuckDB's parallel
//! reader does, that no cut does, and counts each piece's quotes as it
//! reads it; the counts then verify the guess. When a cut did fall inside
//! a quoted field (a line end in a field, right at a cut), the read says so
//! ([`Stop::Misread`], with where every cut falls), and the caller reads
//! again with the cuts known.

mod cuts;

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use csv::StringRecord;

pub(crate) use self::cuts::Cuts;
use self::cuts::{counted_cuts, quote_range, PieceCount};
use super::raw::CsvFields;

/// Bytes of the file in each piece, before it is cut at line ends: large
/// enough that a thread's reads are long, small enough that two threads
/// end near each other and hold little.
const PIECE_BYTES: u64 = 4 << 20;

/// [`PIECE_BYTES`], or `ORG_INSIGHTS_CSV_PIECE_BYTES` from the environment
/// (tests cut small files into many pieces).
fn piece_bytes() -> u64 {
    std::env::var("ORG_INSIGHTS_CSV_PIECE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&bytes| bytes > 0)
        .unwrap_or(PIECE_BYTES)
}

/// Bytes read at a time past a piece's end, to find its last line's end.
const TAIL_BYTES: usize = 64 << 10;

/// Why a read stopped before the file's end.
#[derive(Debug)]
pub(crate) enum Stop<E> {
    /// A cut fell inside a quoted field: some lines were not records. The
    /// file is to be read again with these cuts.
    Misread(Cuts),
    /// The file could not be read, or a record is not UTF-8.
    Unreadable(String),
    /// What `on_record` returned for a record.
    Refused(E),
}

/// What reading every piece gives: each thread's state, and what places a
/// record's line in the file.
pub(crate) struct Pieces<S> {
    pub(crate) states: Vec<S>,
    pub(crate) lines: Lines,
}

/// The line ends before each piece.
pub(crate) struct Lines(Vec<u64>);

impl Lines {
    /// The lines of pieces holding `ends` line ends each.
    fn of_counts(ends: impl Iterator<Item = u64>) -> Self {
        let mut before = 0u64;
        Lines(
            ends.map(|count| {
                let at = before;
                before += count;
                at
            })
            .collect(),
        )
    }

    /// The 1-based line of the file a record starts on.
    pub(crate) fn line(&self, at: PieceLine) -> u64 {
        self.0.get(at.piece as usize).copied().unwrap_or(0) + at.line
    }
}

/// Where a record starts: its piece, and its 1-based line within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PieceLine {
    piece: u64,
    line: u64,
}

/// Calls `on_record` for every data record of the CSV `file` (its header,
/// the first line, skipped), on a thread per core, each with its own
/// state from `new_state`; returns those states, and where each piece's
/// lines start. Records come in file order within a piece; fields are as
/// the file has them ([`Record`]). Empty lines are skipped. The first
/// `Err` stops every thread. Without `cuts`, no cut is taken to fall
/// inside a quoted field, and [`Stop::Misread`] says when one did.
pub(crate) fn for_each_record<S, E>(
    file: &File,
    cuts: Option<&Cuts>,
    new_state: impl Fn() -> S + Sync,
    on_record: impl Fn(&mut S, &Record) -> Result<(), E> + Sync,
) -> Result<Pieces<S>, Stop<E>>
where
    S: Send,
    E: Send,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    for_each_record_in(file, piece_bytes(), threads, cuts, new_state, on_record)
}

/// [`for_each_record`] in pieces of about `piece_bytes` taken in turn by
/// up to `threads` threads.
fn for_each_record_in<S, E>(
    file: &File,
    piece_bytes: u64,
    threads: usize,
    cuts: Option<&Cuts>,
    new_state: impl Fn() -> S + Sync,
    on_record: impl Fn(&mut S, &Record) -> Result<(), E> + Sync,
) -> Result<Pieces<S>, Stop<E>>
where
    S: Send,
    E: Send,
{
    let len = file
        .metadata()
        .map_err(|err| Stop::Unreadable(err.to_string()))?
        .len();
    let pieces = len.div_ceil(piece_bytes);
    let next = AtomicU64::new(0);
    let stopped = AtomicBool::new(false);
    // Counted as each piece is read: a bad record's line needs the line
    // ends, the guess about the cuts the quotes.
    let counts = Mutex::new(vec![PieceCount::default(); pieces as usize]);
    let worker = || -> Result<S, Stop<E>> {
        let mut state = new_state();
        let mut buffer = Vec::new();
        let mut record = StringRecord::new();
        loop {
            let piece = next.fetch_add(1, Ordering::Relaxed);
            if piece >= pieces || stopped.load(Ordering::Relaxed) {
                return Ok(state);
            }
            let quotes = cuts.map(|cuts| cuts.of_piece(piece));
            let read = read_piece(file, len, piece, piece_bytes, quotes, &mut buffer)
                .map_err(|err| Stop::Unreadable(err.to_string()))
                .and_then(|lines| {
                    let (from, to) = quote_range(piece, piece_bytes, len);
                    let count = PieceCount::of(&buffer, &lines, (to - from) as usize, piece);
                    if let Ok(mut counts) = counts.lock() {
                        counts[piece as usize] = count;
                    }
                    let piece = PieceText {
                        text: &buffer[lines],
                        piece,
                    };
                    records(piece, &mut record, &mut state, &on_record)
                });
            if let Err(stop) = read {
                stopped.store(true, Ordering::Relaxed);
                return Err(stop);
            }
        }
    };
    let threads = threads.clamp(1, pieces.max(1) as usize);
    let results: Vec<Result<S, Stop<E>>> = std::thread::scope(|scope| {
        let running: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
        running
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let counts = counts.into_inner().unwrap_or_default();
    let states = results.into_iter().collect();
    let states = verified(states, &counts, cuts, || {
        counted_cuts(file, len, piece_bytes, pieces)
    })?;
    Ok(Pieces {
        states,
        lines: Lines::of_counts(counts.iter().map(|count| count.ends)),
    })
}

/// The threads' states once the cuts are known to be right: given, or
/// guessed and verified by each piece's `counts`; else a stop that says
/// to read again with the cuts (`count_cuts` counts them for a read that
/// stopped early).
fn verified<S, E>(
    read: Result<Vec<S>, Stop<E>>,
    counts: &[PieceCount],
    cuts: Option<&Cuts>,
    count_cuts: impl FnOnce() -> std::io::Result<Cuts>,
) -> Result<Vec<S>, Stop<E>> {
    match (read, cuts) {
        (read, Some(_)) => read,
        (Ok(states), None) => match PieceCount::misread(counts) {
            Some(found) => Err(Stop::Misread(found)),
            None => Ok(states),
        },
        // A stop may come of a cut guessed wrong. The read stopped before
        // its counts were whole, so the cuts are counted again; any cut
        // inside a quoted field sends the file to a read with the cuts,
        // which then meets the stop again if it was the file's own.
        (Err(stop), None) => {
            let found = count_cuts().map_err(|err| Stop::Unreadable(err.to_string()))?;
            Err(if found.any_inside() {
                Stop::Misread(found)
            } else {
                stop
            })
        }
    }
}

/// Reads piece `piece` into `buffer` and gives the range of its whole
/// lines: those that start in the piece's bytes. A line starts after a
/// line end (or at the file's start), so piece k runs from the first line
/// end at or after byte k × `size` − 1 to the first one at or after the
/// next piece's such byte; both ends are found by the same rule, so every
/// line belongs to exactly one piece. With `quotes` (whether each of the
/// two bytes falls inside a quoted field), only a line end outside quotes
/// counts; without, any line end.
fn read_piece(
    file: &File,
    len: u64,
    piece: u64,
    size: u64,
    quotes: Option<(bool, bool)>,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Range<usize>> {
    let from = (piece * size).saturating_sub(1);
    let to = ((piece + 1) * size).min(len);
    buffer.resize((to - from) as usize, 0);
    file.read_exact_at(buffer, from)?;
    let (inside_at_start, inside_at_end) = quotes.unwrap_or_default();
    let follow = quotes.is_some();
    let start = if piece == 0 {
        0
    } else {
        match line_end(buffer, 0, &mut (inside_at_start, follow)) {
            Some(end) => end + 1,
            // The line that holds the whole piece started before it.
            None => return Ok(0..0),
        }
    };
    if to == len {
        return Ok(start..buffer.len());
    }
    // The piece's last line ends at the first line end from its last byte.
    let mut searched = buffer.len() - 1;
    let mut at = to;
    let mut state = (inside_at_end, follow);
    loop {
        if let Some(end) = line_end(buffer, searched, &mut state) {
            return Ok(start..end + 1);
        }
        if at == len {
            return Ok(start..buffer.len());
        }
        let more = TAIL_BYTES.min((len - at) as usize);
        searched = buffer.len();
        buffer.resize(searched + more, 0);
        file.read_exact_at(&mut buffer[searched..], at)?;
        at += more as u64;
    }
}

/// The first line end of `buffer` from `from` on that is outside quotes;
/// `state` is (inside a quoted field, quotes followed), carried across
/// calls. Without following quotes, any line end.
fn line_end(buffer: &[u8], from: usize, state: &mut (bool, bool)) -> Option<usize> {
    let (inside, follow) = state;
    if !*follow {
        return buffer[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| from + i);
    }
    for (i, &b) in buffer[from..].iter().enumerate() {
        match b {
            b'"' => *inside = !*inside,
            b'\n' if !*inside => return Some(from + i),
            _ => {}
        }
    }
    None
}

/// A piece's whole lines, and its number (piece 0 starts with the header).
#[derive(Clone, Copy)]
struct PieceText<'t> {
    text: &'t [u8],
    piece: u64,
}

/// Calls `on_record` for each record of `piece`, after the header in
/// piece 0.
fn records<S, E>(
    piece: PieceText,
    record: &mut StringRecord,
    state: &mut S,
    on_record: &impl Fn(&mut S, &Record) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    // Line ends are `\n` alone, as polars reads them (see [`Record`]).
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(piece.piece == 0)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(piece.text);
    loop {
        match reader.read_record(record) {
            Ok(false) => return Ok(()),
            Ok(true) => on_record(
                state,
                &Record {
                    fields: record,
                    piece,
                },
            )
            .map_err(Stop::Refused)?,
            Err(err) => return Err(Stop::Unreadable(err.to_string())),
        }
    }
}

/// One record's fields. Line ends are `\n` alone, as polars reads them;
/// the `\r` of a `\r\n` ends the last field, and is left out of it.
pub(crate) struct Record<'r> {
    fields: &'r StringRecord,
    piece: PieceText<'r>,
}

impl Record<'_> {
    pub(crate) fn len(&self) -> usize {
        self.fields.len()
    }

    /// Where the record starts ([`Pieces::line`] makes it a line of the
    /// file). The `csv` crate places a record where the previous one's
    /// line end was, before any blank lines it skipped: those are counted
    /// here, on the way of a bad record only.
    pub(crate) fn at(&self) -> PieceLine {
        let Some(position) = self.fields.position() else {
            return PieceLine {
                piece: self.piece.piece,
                line: 1,
            };
        };
        let from = (position.byte() as usize).min(self.piece.text.len());
        let skipped = self.piece.text[from..]
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .filter(|&&b| b == b'\n')
            .count() as u64;
        PieceLine {
            piece: self.piece.piece,
            line: position.line() + skipped,
        }
    }

    /// Whether the record has no value in any of the table's columns (a
    /// blank line, or one of empty fields or spaces): the check skips it,
    /// and so does the contract.
    pub(crate) fn blank(&self, fields: &CsvFields) -> bool {
        self.len() <= fields.width
            && fields
                .positions
                .iter()
                .all(|&(_, i)| self.get(i).is_none_or(|cell| cell.trim().is_empty()))
    }

    pub(crate) fn get(&self, index: usize) -> Option<&str> {
        let field = self.fields.get(index)?;
        if index + 1 == self.fields.len() {
            return Some(field.strip_suffix('\r').unwrap_or(field));
        }
        Some(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `text` (header skipped), as each thread read them,
    /// put in file order by their first field (a line number), read as
    /// the callers read: again with the cuts when the guess was wrong.
    fn read(text: &[u8], piece_bytes: u64, threads: usize) -> Result<Vec<Vec<String>>, Stop<()>> {
        match read_with(text, piece_bytes, threads, None) {
            Err(Stop::Misread(cuts)) => read_with(text, piece_bytes, threads, Some(&cuts)),
            read => read,
        }
    }

    fn read_with(
        text: &[u8],
        piece_bytes: u64,
        threads: usize,
        cuts: Option<&Cuts>,
    ) -> Result<Vec<Vec<String>>, Stop<()>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("activity.csv");
        std::fs::write(&path, text).unwrap();
        let file = File::open(&path).unwrap();
        let pieces = for_each_record_in(
            &file,
            piece_bytes,
            threads,
            cuts,
            Vec::new,
            |seen, record| {
                let fields = (0..record.len()).map(|i| record.get(i).unwrap().to_string());
                seen.push((fields.collect::<Vec<_>>(), record.at()));
                Ok(())
            },
        )?;
        let mut records: Vec<Vec<String>> = Vec::new();
        for (fields, at) in pieces.states.iter().flatten() {
            // A line of a lone `\r` is a record of one empty field.
            if fields[0].parse::<u64>().is_err() {
                records.push(fields.clone());
                continue;
            }
            assert_eq!(
                Some(pieces.lines.line(*at)),
                line_starting_with(text, &fields[0]),
                "the line of record {fields:?} in {piece_bytes}-byte pieces:\n{}",
                String::from_utf8_lossy(text)
            );
            records.push(fields.clone());
        }
        records.sort_by_key(|fields| fields[0].parse::<u64>().unwrap_or(u64::MAX));
        Ok(records)
    }

    /// The 1-based line of `text` that starts with the record numbered
    /// `n` (`n,`), counted by splitting the text at its line ends: the
    /// reference for [`Record::at`]. Only a record's first line starts
    /// with digits and a comma in the texts below.
    fn line_starting_with(text: &[u8], n: &str) -> Option<u64> {
        let prefix = format!("{n},");
        let text = String::from_utf8_lossy(text);
        let text = text.trim_start_matches('\u{feff}');
        text.split('\n')
            .position(|line| line.starts_with(&prefix))
            .map(|i| i as u64 + 1)
    }

    /// The same records read by the `csv` crate in one go: the reference.
    fn read_whole(text: &[u8]) -> Vec<Vec<String>> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(text);
        let mut records: Vec<Vec<String>> = reader
            .records()
            .map(|record| {
                let record = record.unwrap();
                let last = record.len() - 1;
                (0..record.len())
                    .map(|i| {
                        let field = &record[i];
                        let field = if i == last {
                            field.strip_suffix('\r').unwrap_or(field)
                        } else {
                            field
                        };
                        field.to_string()
                    })
                    .collect()
            })
            .collect();
        records.sort_by_key(|fields| fields[0].parse::<u64>().unwrap_or(u64::MAX));
        records
    }

    /// A CSV text of random lines: numbered, of random lengths, with LF or
    /// CRLF ends, blank lines, and maybe no line end at the close.
    fn random_text(rng: &mut fastrand::Rng) -> Vec<u8> {
        let mut text = String::from("\u{feff}n,word,other\n");
        for n in 0..rng.usize(0..60) {
            let word: String = (0..rng.usize(0..30)).map(|_| rng.alphabetic()).collect();
            text.push_str(&format!("{n},{word},é{}", rng.u8(..)));
            text.push_str(if rng.bool() { "\r\n" } else { "\n" });
            if rng.u8(..8) == 0 {
                text.push_str(if rng.bool() { "\r\n" } else { "\n" });
            }
        }
        if rng.bool() {
            while text.ends_with(['\n', '\r']) {
                text.pop();
            }
        }
        text.into_bytes()
    }

    /// Two hundred texts of `random`, each read in pieces of every size on
    /// one to three threads, give the records of the `csv` crate's read.
    fn read_like_the_whole(seed: u64, random: fn(&mut fastrand::Rng) -> Vec<u8>) {
        let mut rng = fastrand::Rng::with_seed(seed);
        for _ in 0..200 {
            let text = random(&mut rng);
            let expected = read_whole(&text);
            for piece_bytes in [1, 2, 3, 5, 8, 13, 40, 1 << 20] {
                let threads = rng.usize(1..4);
                let records = read(&text, piece_bytes, threads).unwrap();
                assert_eq!(
                    records,
                    expected,
                    "{piece_bytes}-byte pieces on {threads} threads:\n{}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }

    #[test]
    fn every_line_is_read_once_whatever_the_piece_size() {
        read_like_the_whole(11, random_text);
    }

    /// A random CSV text whose fields may be quoted, holding commas, doubled
    /// quotes and line ends (LF and CRLF) inside.
    fn random_quoted_text(rng: &mut fastrand::Rng) -> Vec<u8> {
        let mut text = String::from("n,word,other\n");
        let pieces = ["a", ",", "\"\"", "\n", "\r\n", "é", "x y"];
        for n in 0..rng.usize(0..60) {
            let word: String = (0..rng.usize(0..6))
                .map(|_| pieces[rng.usize(..pieces.len())])
                .collect();
            text.push_str(&format!("{n},\"{word}\",{}", rng.u8(..)));
            text.push_str(if rng.bool() { "\r\n" } else { "\n" });
        }
        text.into_bytes()
    }

    #[test]
    fn quoted_fields_that_hold_line_ends_are_read_once_whatever_the_piece_size() {
        read_like_the_whole(17, random_quoted_text);
    }

    #[test]
    fn quotes_without_line_ends_inside_are_read_once_on_the_guess() {
        // Quoted fields, none holding a line end: whatever the piece size,
        // the guess holds, though most cuts fall inside quotes.
        let mut text = b"\"n\",\"word\"\n".to_vec();
        for n in 0..100 {
            text.extend_from_slice(format!("{n},\"a, \"\"b\"\" c\"\r\n").as_bytes());
        }
        for piece_bytes in [1, 2, 7, 16, 1 << 20] {
            let records = read_with(&text, piece_bytes, 2, None).unwrap();
            assert_eq!(records, read_whole(&text), "{piece_bytes}");
        }
    }

    #[test]
    fn a_line_end_inside_a_quoted_field_at_a_cut_is_a_misread() {
        let mut text = b"n,word\n".to_vec();
        for n in 0..20 {
            text.extend_from_slice(format!("{n},plain\n").as_bytes());
        }
        text.extend_from_slice(b"20,\"two\nlines\"\n21,after\n");
        // The cut of a piece of 4 bytes falls on every line, the one
        // inside the quoted field too.
        let Err(Stop::Misread(cuts)) = read_with(&text, 4, 2, None) else {
            panic!("the guess cannot hold");
        };
        assert!(cuts.any_inside());
        assert_eq!(read(&text, 4, 2).unwrap(), read_whole(&text));
    }

    #[test]
    fn a_refusal_stops_the_read_and_is_returned() {
        let text = b"n\n1\n2\n3\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("activity.csv");
        std::fs::write(&path, text).unwrap();
        let file = File::open(&path).unwrap();
        let read = for_each_record_in(
            &file,
            2,
            2,
            None,
            || (),
            |_, record| match record.get(0) {
                Some("2") => Err("two"),
                _ => Ok(()),
            },
        );
        assert!(matches!(read, Err(Stop::Refused("two"))));
    }

    #[test]
    fn a_file_that_is_not_utf8_is_unreadable() {
        assert!(matches!(
            read(b"n,word\n1,caf\xe9\n", 4, 1),
            Err(Stop::Unreadable(_))
        ));
    }
}

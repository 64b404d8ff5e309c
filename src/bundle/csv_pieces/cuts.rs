//! Where a CSV file's pieces may be cut: whether each cut falls inside a
//! quoted field, from the quote characters before it, counted as the
//! pieces are read or, for a read that stopped early, in a pass of their
//! own.

use std::fs::File;
use std::ops::Range;
use std::os::unix::fs::FileExt;

/// Whether each piece's cut (byte k × piece size − 1) falls inside a
/// quoted field, one entry per piece and one for the file's end.
#[derive(Debug, Clone)]
pub(crate) struct Cuts(Vec<bool>);

impl Cuts {
    /// The cuts of pieces whose quote characters are `quotes`: the parity
    /// of those before each.
    fn of_counts(quotes: &[u64]) -> Self {
        let mut inside = false;
        let mut cuts = Vec::with_capacity(quotes.len() + 1);
        for count in quotes {
            cuts.push(inside);
            inside ^= count % 2 == 1;
        }
        cuts.push(inside);
        Cuts(cuts)
    }

    pub(super) fn any_inside(&self) -> bool {
        self.0.iter().any(|&inside| inside)
    }

    pub(super) fn of_piece(&self, piece: u64) -> (bool, bool) {
        let at = |k: u64| self.0.get(k as usize).copied().unwrap_or(false);
        (at(piece), at(piece + 1))
    }
}

/// What a thread counts of a piece as it reads it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PieceCount {
    /// Line ends among its lines: what places a record's line.
    pub(super) ends: u64,
    /// Quote characters from its cut to the next: what places the cuts.
    quotes: u64,
    /// Quote characters from its cut to the line end its lines start
    /// after, when it has one (every piece but the first).
    quotes_to_start: Option<u64>,
}

impl PieceCount {
    /// The counts of a piece read into `buffer`: its lines are `lines`,
    /// its quotes are counted up to `cut` (the next piece's cut).
    pub(super) fn of(buffer: &[u8], lines: &Range<usize>, cut: usize, piece: u64) -> Self {
        let cut = cut.min(buffer.len());
        PieceCount {
            ends: memchr::memchr_iter(b'\n', &buffer[lines.clone()]).count() as u64,
            quotes: quote_count(&buffer[..cut]),
            quotes_to_start: (piece > 0 && !lines.is_empty())
                .then(|| quote_count(&buffer[..lines.start])),
        }
    }

    /// Read without the cuts, a piece starts after the first line end
    /// from its cut, taken to be outside quotes (as it is in any file
    /// whose fields hold no line end): the cuts when that was wrong for a
    /// piece, `None` when the guess held for every piece.
    pub(super) fn misread(counts: &[PieceCount]) -> Option<Cuts> {
        let mut before = 0u64;
        let mut misread = false;
        for count in counts {
            if let Some(to_start) = count.quotes_to_start {
                misread |= (before + to_start) % 2 == 1;
            }
            before += count.quotes;
        }
        let quotes: Vec<u64> = counts.iter().map(|count| count.quotes).collect();
        misread.then(|| Cuts::of_counts(&quotes))
    }
}

/// Where each piece's cut falls, from a sequential count of the file's
/// quote characters: for a read that stopped before it counted them all.
pub(super) fn counted_cuts(file: &File, len: u64, size: u64, pieces: u64) -> std::io::Result<Cuts> {
    let mut quotes = Vec::with_capacity(pieces as usize);
    let mut buffer = vec![0u8; 1 << 20];
    let mut at = 0u64;
    for piece in 0..pieces {
        let (_, end) = quote_range(piece, size, len);
        let mut count = 0u64;
        while at < end {
            let n = (end - at).min(buffer.len() as u64) as usize;
            file.read_exact_at(&mut buffer[..n], at)?;
            count += quote_count(&buffer[..n]);
            at += n as u64;
        }
        quotes.push(count);
    }
    Ok(Cuts::of_counts(&quotes))
}

/// The bytes whose quotes piece `piece` counts: from its cut to the next.
pub(super) fn quote_range(piece: u64, size: u64, len: u64) -> (u64, u64) {
    let cut = |k: u64| (k * size).saturating_sub(1).min(len);
    (cut(piece), cut(piece + 1))
}

/// The quote characters of `bytes`, counted as memchr counts line ends
/// (a vector loop, where a plain loop took a few percent of a run).
pub(super) fn quote_count(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'"', bytes).count() as u64
}

//! passgate fork: a character trie over ranked dictionaries.
//!
//! Upstream looks every substring of the password up in every dictionary (quadratic in the
//! length, times the dictionary count) and re-runs that for every combination of l33t
//! substitutions (exponential in the number of substitutable symbols). Walking a trie from
//! each start position visits only prefixes that some dictionary word has, so dictionary
//! matching costs about `length × longest prefix found`, and l33t substitutions become
//! branches of the same walk instead of whole extra passes.

use crate::frequency_lists::DictionaryType;

/// Index of the root node.
pub(crate) const ROOT: u32 = 0;

#[derive(Debug, Clone, Copy)]
struct Node {
    first_edge: u32,
    edge_count: u32,
    first_rank: u32,
    rank_count: u32,
}

/// An immutable trie: every node's outgoing edges are contiguous and sorted by character,
/// and every node that ends a word lists the (dictionary, rank) pairs of that word.
#[derive(Debug, Clone)]
pub(crate) struct Trie {
    nodes: Vec<Node>,
    edges: Vec<(char, u32)>,
    ranks: Vec<(DictionaryType, usize)>,
}

/// Mutable form used while inserting words.
#[derive(Default)]
struct Builder {
    children: Vec<Vec<(char, u32)>>,
    ranks: Vec<Vec<(DictionaryType, usize)>>,
}

impl Builder {
    fn new() -> Self {
        Builder {
            children: vec![Vec::new()],
            ranks: vec![Vec::new()],
        }
    }

    /// Inserts `word`; a word listed twice in one dictionary keeps its last rank, as the
    /// upstream `HashMap` built from the same list does.
    fn insert(&mut self, word: &str, dictionary: DictionaryType, rank: usize) {
        let mut node = ROOT as usize;
        for c in word.chars() {
            let next = match self.children[node].iter().find(|(k, _)| *k == c) {
                Some(&(_, child)) => child as usize,
                None => {
                    let child = self.children.len();
                    self.children.push(Vec::new());
                    self.ranks.push(Vec::new());
                    self.children[node].push((c, child as u32));
                    child
                }
            };
            node = next;
        }
        let ranks = &mut self.ranks[node];
        match ranks.iter_mut().find(|(d, _)| *d == dictionary) {
            Some(entry) => entry.1 = rank,
            None => ranks.push((dictionary, rank)),
        }
    }

    fn freeze(self) -> Trie {
        let mut nodes = Vec::with_capacity(self.children.len());
        let mut edges = Vec::new();
        let mut ranks = Vec::new();
        for (mut children, node_ranks) in self.children.into_iter().zip(self.ranks) {
            children.sort_unstable_by_key(|&(c, _)| c);
            nodes.push(Node {
                first_edge: edges.len() as u32,
                edge_count: children.len() as u32,
                first_rank: ranks.len() as u32,
                rank_count: node_ranks.len() as u32,
            });
            edges.extend(children);
            ranks.extend(node_ranks);
        }
        Trie {
            nodes,
            edges,
            ranks,
        }
    }
}

impl Trie {
    /// Builds a trie of `(word, dictionary, rank)` entries.
    pub(crate) fn build<'a>(
        words: impl IntoIterator<Item = (&'a str, DictionaryType, usize)>,
    ) -> Trie {
        let mut builder = Builder::new();
        for (word, dictionary, rank) in words {
            builder.insert(word, dictionary, rank);
        }
        builder.freeze()
    }

    /// The node reached from `node` by `c`, if any word continues that way.
    #[inline]
    pub(crate) fn child(&self, node: u32, c: char) -> Option<u32> {
        let n = self.nodes[node as usize];
        let edges = &self.edges[n.first_edge as usize..(n.first_edge + n.edge_count) as usize];
        edges
            .binary_search_by_key(&c, |&(k, _)| k)
            .ok()
            .map(|i| edges[i].1)
    }

    /// The dictionaries (with ranks) in which the word ending at `node` appears.
    #[inline]
    pub(crate) fn ranks(&self, node: u32) -> &[(DictionaryType, usize)] {
        let n = self.nodes[node as usize];
        &self.ranks[n.first_rank as usize..(n.first_rank + n.rank_count) as usize]
    }
}

#[cfg(test)]
// Upstream's tests, kept as written: a failed unwrap is a failed test.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn walk(trie: &Trie, word: &str) -> Option<u32> {
        word.chars().try_fold(ROOT, |node, c| trie.child(node, c))
    }

    #[test]
    fn finds_words_prefixes_and_ranks() {
        let trie = Trie::build([
            ("mother", DictionaryType::English, 3),
            ("moth", DictionaryType::English, 9),
            ("moth", DictionaryType::Passwords, 2),
            ("board", DictionaryType::English, 1),
            ("moth", DictionaryType::English, 11),
        ]);
        let moth = walk(&trie, "moth").unwrap();
        let mut ranks = trie.ranks(moth).to_vec();
        ranks.sort_by_key(|&(_, r)| r);
        assert_eq!(
            ranks,
            vec![
                (DictionaryType::Passwords, 2),
                (DictionaryType::English, 11)
            ]
        );
        let mo = walk(&trie, "mo").unwrap();
        assert!(trie.ranks(mo).is_empty());
        assert_eq!(trie.ranks(walk(&trie, "mother").unwrap()).len(), 1);
        assert!(walk(&trie, "mothers").is_none());
        assert!(walk(&trie, "x").is_none());
    }
}

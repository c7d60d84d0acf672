//! `.dockerignore` reading and moby/patternmatcher matching semantics. (Stub: being written.)
//!
//! TEMPORARY signatures (team lead) so the simulator compiles while the real matcher is
//! written; the owner replaces this whole file. Nothing here is claimed to be correct.

pub struct PatternError {
    pub message: String,
}

pub struct PatternMatcher {
    patterns: Vec<String>,
}

impl PatternMatcher {
    pub fn new(patterns: &[String]) -> Result<PatternMatcher, PatternError> {
        Ok(PatternMatcher {
            patterns: patterns.to_vec(),
        })
    }
    pub fn exclusions(&self) -> bool {
        self.patterns.iter().any(|p| p.starts_with('!'))
    }
    pub fn matches_or_parent_matches(&self, path: &str) -> Result<bool, PatternError> {
        Ok(self
            .patterns
            .iter()
            .any(|p| path == p || path.starts_with(&format!("{p}/"))))
    }
}

pub fn read_ignore_file(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.trim_start_matches('/').to_string())
        .collect()
}

pub fn filepath_match(pattern: &str, name: &str) -> Result<bool, PatternError> {
    Ok(pattern == name)
}

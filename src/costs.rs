//! The "time lost" estimate: a cost in seconds per instruction, from per-kind defaults the user
//! can change, or a per-line override; the time lost by a builder is the sum over the steps it
//! re-executes.

use crate::codec::{self, R};
use layerlab_engine::ast::Dockerfile;
use layerlab_engine::json::{Json, Writer};
use layerlab_engine::report::{BuilderReport, Status};
use layerlab_engine::scenario::Map;

/// Default seconds per instruction kind when it re-executes. Rough, typical numbers: a RUN
/// installs packages or compiles, a FROM pulls a base image, a COPY hashes and writes files.
pub const DEFAULT_COSTS: &[(&str, u32)] = &[("RUN", 30), ("FROM", 10), ("COPY", 2), ("ADD", 3)];

/// Instruction kinds listed in the cost editor.
pub const KINDS: &[&str] = &["RUN", "FROM", "COPY", "ADD"];

/// JSON: `{"kinds":{"RUN":120},"lines":{"12":90}}`, each map only when not empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CostTable {
    /// Overrides of [`DEFAULT_COSTS`], by upper-case keyword.
    pub kinds: Map<String, u32>,
    /// Per-instruction overrides, by 1-based line in B's Dockerfile.
    pub lines: Map<u32, u32>,
}

impl CostTable {
    pub fn write(&self, w: &mut Writer) {
        w.open('{');
        codec::key_map(w, "kinds", &self.kinds, false, |w, v: &u32| {
            w.num((*v).into())
        });
        if !self.lines.is_empty() {
            w.key("lines");
            w.open('{');
            for (line, secs) in &self.lines {
                w.key(&line.to_string());
                w.num((*secs).into());
            }
            w.close('}');
        }
        w.close('}');
    }

    /// Reads what [`write`](Self::write) writes (unknown fields are ignored).
    pub fn read(v: Json) -> R<CostTable> {
        let mut f = codec::fields(v, "struct CostTable", &["kinds", "lines"], false)?;
        let lines = codec::or_default(f.take("lines"), |v| codec::map(v, codec::uint))?;
        Ok(CostTable {
            kinds: codec::or_default(f.take("kinds"), |v| codec::map(v, codec::uint))?,
            lines: {
                let mut m = Map::new();
                for (k, v) in lines {
                    let line = k
                        .parse::<u32>()
                        .map_err(|_| format!("invalid line number `{k}`"))?;
                    m.insert(line, v);
                }
                m
            },
        })
    }

    pub fn is_default(&self) -> bool {
        self.kinds.is_empty() && self.lines.is_empty()
    }

    /// Seconds for an instruction kind (other kinds cost nothing: they only change metadata).
    pub fn kind_cost(&self, keyword: &str) -> u32 {
        // Keywords are upper-case already but for unknown ones: no copy per call (the table
        // and the summaries ask for every instruction on every render).
        let upper;
        let k: &str = if keyword.bytes().any(|b| b.is_ascii_lowercase()) {
            upper = keyword.to_ascii_uppercase();
            &upper
        } else {
            keyword
        };
        if let Some(v) = self.kinds.get(k) {
            return *v;
        }
        DEFAULT_COSTS
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| *v)
            .unwrap_or(0)
    }

    /// Seconds for the instruction on `line` with `keyword`.
    pub fn cost(&self, line: u32, keyword: &str) -> u32 {
        self.lines
            .get(&line)
            .copied()
            .unwrap_or_else(|| self.kind_cost(keyword))
    }

    /// Sets a kind's cost; setting it back to the default removes the override.
    pub fn set_kind(&mut self, keyword: &str, secs: u32) {
        let k = keyword.to_ascii_uppercase();
        self.kinds.remove(&k);
        if self.kind_cost(&k) != secs {
            self.kinds.insert(k, secs);
        }
    }

    /// Sets one line's cost; `None` returns it to its kind's cost.
    pub fn set_line(&mut self, line: u32, secs: Option<u32>) {
        match secs {
            Some(s) => {
                self.lines.insert(line, s);
            }
            None => {
                self.lines.remove(&line);
            }
        }
    }

    /// Total seconds of the steps a builder re-executes.
    pub fn time_lost(&self, report: &BuilderReport) -> u32 {
        report
            .steps
            .iter()
            .filter(|s| s.status == Status::Rebuilt)
            .map(|s| self.cost(s.line, &s.keyword))
            .fold(0u32, u32::saturating_add)
    }

    /// Total seconds of a full build of every instruction (the "nothing cached" reference).
    pub fn full_build(&self, df: &Dockerfile) -> u32 {
        df.instructions
            .iter()
            .filter(|i| i.stage.is_some())
            .map(|i| self.cost(i.span.line, &i.keyword))
            .fold(0u32, u32::saturating_add)
    }
}

/// `95` → `1m 35s`, `3600` → `1h 0m`, `7` → `7s`.
pub fn format_secs(secs: u32) -> String {
    if secs >= 3600 {
        format!("{}h {}m", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{}m {}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use layerlab_engine::report::StepVerdict;

    fn step(line: u32, keyword: &str, status: Status) -> StepVerdict {
        StepVerdict {
            line,
            stage: Some(0),
            stage_name: None,
            keyword: keyword.into(),
            status,
            reasons: vec![],
            instruction: 0,
        }
    }

    #[test]
    fn defaults_overrides_and_sum() {
        let mut t = CostTable::default();
        assert_eq!(t.kind_cost("run"), 30);
        assert_eq!(t.kind_cost("ENV"), 0);
        let report = BuilderReport {
            steps: vec![
                step(1, "FROM", Status::Cached),
                step(2, "RUN", Status::Rebuilt),
                step(3, "COPY", Status::Rebuilt),
                step(4, "RUN", Status::NotRun),
                step(5, "ENV", Status::Rebuilt),
            ],
            ..Default::default()
        };
        assert_eq!(t.time_lost(&report), 32);
        t.set_kind("RUN", 120);
        assert_eq!(t.time_lost(&report), 122);
        t.set_line(3, Some(10));
        assert_eq!(t.time_lost(&report), 130);
        t.set_line(3, None);
        t.set_kind("RUN", 30);
        assert!(t.is_default(), "{t:?}");
    }

    #[test]
    fn formats() {
        assert_eq!(format_secs(7), "7s");
        assert_eq!(format_secs(95), "1m 35s");
        assert_eq!(format_secs(3661), "1h 1m");
    }

    #[test]
    fn serialises_line_keys_as_json_object() {
        let mut t = CostTable::default();
        t.set_line(12, Some(90));
        let mut w = Writer::new(false);
        t.write(&mut w);
        let json = w.finish();
        assert_eq!(json, r#"{"lines":{"12":90}}"#);
        let back = CostTable::read(layerlab_engine::json::parse(&json).unwrap()).unwrap();
        assert_eq!(back, t);
    }
}

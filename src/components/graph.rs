//! The stage graph (SVG): stages as boxes in dependency order, edges for `FROM <stage>`,
//! `COPY --from` and `RUN --mount from=`, and for each stage whether the classic builder and
//! BuildKit build it.

use super::{fixed, on_click_ui, select_line, with_class, Store};
use crate::analysis::{stage_graph, EdgeKind, StageGraph};
use crate::model::{Action, AppState};
use layerlab_engine::report::Builder;
use yew::prelude::*;

const W: i32 = 168;
const H: i32 = 62;
const GAP_X: i32 = 56;
const GAP_Y: i32 = 18;
const PAD: i32 = 8;

/// Node positions: (x, y) of each node's top-left corner, in `g.nodes` order.
pub fn layout(g: &StageGraph) -> (Vec<(i32, i32)>, i32, i32) {
    let mut rows_per_depth: Vec<i32> = Vec::new();
    let mut pos = Vec::with_capacity(g.nodes.len());
    for n in &g.nodes {
        if rows_per_depth.len() <= n.depth {
            rows_per_depth.resize(n.depth + 1, 0);
        }
        let row = rows_per_depth[n.depth];
        rows_per_depth[n.depth] += 1;
        pos.push((PAD + n.depth as i32 * (W + GAP_X), PAD + row * (H + GAP_Y)));
    }
    let cols = rows_per_depth.len().max(1) as i32;
    let rows = rows_per_depth.iter().copied().max().unwrap_or(1).max(1);
    (
        pos,
        2 * PAD + cols * W + (cols - 1) * GAP_X,
        2 * PAD + rows * H + (rows - 1) * GAP_Y,
    )
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

/// The stage graph of the state: what the drawing shows is computed here, and the drawing
/// re-renders only when that changes (not at every keystroke in a long file).
pub fn stage_graph_view(store: &Store) -> Html {
    let st = &**store;
    let an = &st.analysis;
    let g = stage_graph(&an.df_b);
    if g.nodes.is_empty() {
        return Html::default();
    }
    let report = &an.report;
    let have_report =
        !report.builders.classic.steps.is_empty() || !report.builders.buildkit.steps.is_empty();
    let selected_stage = st
        .ui
        .line
        .and_then(|l| an.df_b.instructions.iter().find(|i| i.span.line == l))
        .and_then(|i| i.stage);
    html! {
        <StageGraphSvg {g} {have_report} {selected_stage}
            built={[Builder::Classic, Builder::Buildkit].map(|b| report.builder(b).built_stages.clone())}
            dispatcher={store.dispatcher()} />
    }
}

#[derive(Properties, PartialEq)]
struct SvgProps {
    g: StageGraph,
    have_report: bool,
    selected_stage: Option<usize>,
    /// Stages each builder builds (classic, BuildKit).
    built: [Vec<usize>; 2],
    dispatcher: UseReducerDispatcher<AppState>,
}

#[function_component]
fn StageGraphSvg(p: &SvgProps) -> Html {
    let g = &p.g;
    let (pos, width, height) = layout(g);
    let have_report = p.have_report;
    let selected_stage = p.selected_stage;

    let edges: Html = g
        .edges
        .iter()
        .filter_map(|e| {
            let a = g.nodes.iter().position(|n| n.index == e.from)?;
            let b = g.nodes.iter().position(|n| n.index == e.to)?;
            let (x1, y1) = (pos[a].0 + W, pos[a].1 + H / 2);
            let (x2, y2) = (pos[b].0 - 6, pos[b].1 + H / 2);
            let mid = (x1 + x2) / 2;
            let d = format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}");
            let head = format!(
                "{},{} {},{} {},{}",
                x2 + 6,
                y2,
                x2 - 2,
                y2 - 5,
                x2 - 2,
                y2 + 5
            );
            let cls = match e.kind {
                EdgeKind::From => "edge e-from",
                EdgeKind::CopyFrom => "edge e-copy",
                EdgeKind::MountFrom => "edge e-mount",
            };
            let edge = html! {
                <g>
                    <title>{ format!("{} (line {})", e.kind.label(), e.line) }</title>
                    <path d={d} fill="none" />
                    <polygon points={head} />
                </g>
            };
            Some(with_class(edge, cls))
        })
        .collect();

    let nodes: Html = g
        .nodes
        .iter()
        .zip(&pos)
        .map(|(n, &(x, y))| {
            let built = |b: Builder| p.built[(b == Builder::Buildkit) as usize].contains(&n.index);
            let pill = |b: Builder, short: &str, dx: i32| {
                let (cls, word) = if !have_report {
                    ("pill p-unknown", "?")
                } else if built(b) {
                    ("pill p-built", "built")
                } else {
                    ("pill p-skip", "skipped")
                };
                let pill = html! {
                    <g>
                        <rect x={(x + dx).to_string()} y={(y + H - 22).to_string()} width="76" height="16" rx="8" />
                        <text x={(x + dx + 38).to_string()} y={(y + H - 10).to_string()} text-anchor="middle">{ format!("{short} {word}") }</text>
                    </g>
                };
                with_class(pill, cls)
            };
            let line = n.line;
            let select = on_click_ui(&p.dispatcher, select_line(line));
            let onkeydown = {
                let d = p.dispatcher.clone();
                Callback::from(move |e: KeyboardEvent| {
                    if e.key() == "Enter" || e.key() == " " {
                        e.prevent_default();
                        d.dispatch(Action::Ui(select_line(line)))
                    }
                })
            };
            let label = format!(
                "stage {}{}: classic {}, BuildKit {}",
                n.label,
                if n.base.is_empty() { String::new() } else { format!(" from {}", n.base) },
                if !have_report { "unknown" } else if built(Builder::Classic) { "builds it" } else { "skips it" },
                if !have_report { "unknown" } else if built(Builder::Buildkit) { "builds it" } else { "skips it" },
            );
            let node = html! {
                <g tabindex="0" role="button"
                   aria-label={label.clone()} onclick={select} {onkeydown}>
                    <title>{ label }</title>
                    <rect x={x.to_string()} y={y.to_string()} width={W.to_string()} height={H.to_string()} rx="6" />
                    <text class="n-label" x={(x + 8).to_string()} y={(y + 16).to_string()}>{ clip(&n.label, 20) }</text>
                    <text class="n-base" x={(x + 8).to_string()} y={(y + 30).to_string()}>{ clip(&format!("FROM {}", n.base), 26) }</text>
                    { pill(Builder::Classic, "C", 6) }
                    { pill(Builder::Buildkit, "BK", 86) }
                </g>
            };
            let sel = selected_stage == Some(n.index);
            with_class(node, if sel { "node sel" } else { "node" })
        })
        .collect();

    html! {
        <section class="graph" aria-label="Stage graph">
            { fixed(concat!(
                "<h2>Stages</h2>",
                r#"<p class="legend muted"><span class="lg lg-from">FROM stage</span>"#,
                r#"<span class="lg lg-copy">COPY --from</span>"#,
                r#"<span class="lg lg-mount">RUN --mount from=</span>"#,
                " · C = classic, BK = BuildKit</p>",
            )) }
            <div class="graph-scroll">
                <svg class="stage-graph" width={width.to_string()} height={height.to_string()}
                     viewBox={format!("0 0 {width} {height}")} role="group" aria-label="Stage dependency graph">
                    { edges }
                    { nodes }
                </svg>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fixtures::multistage;

    #[test]
    fn layout_places_dependencies_left_of_dependants() {
        let g = stage_graph(&multistage());
        let (pos, w, h) = layout(&g);
        for e in &g.edges {
            let a = g.nodes.iter().position(|n| n.index == e.from).unwrap();
            let b = g.nodes.iter().position(|n| n.index == e.to).unwrap();
            assert!(pos[a].0 + W < pos[b].0, "{e:?}");
        }
        // No two nodes overlap, and all fit the canvas.
        for i in 0..pos.len() {
            for j in i + 1..pos.len() {
                assert_ne!(pos[i], pos[j]);
            }
            assert!(pos[i].0 + W <= w && pos[i].1 + H <= h);
        }
    }
}

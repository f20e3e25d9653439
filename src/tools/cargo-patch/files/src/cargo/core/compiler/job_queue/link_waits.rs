//! The link step of units compiled against headers (`-Z header-pipelining`).
//!
//! Such a unit's job compiles as soon as its dependencies' headers exist, then asks the
//! coordinator to wait until every unit whose output it links has finished. While it waits it
//! does not count as running, so its job slot goes to other work.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::Sender;

use super::JobId;
use crate::core::compiler::Unit;

#[derive(Default)]
pub(super) struct LinkWaits {
    /// For each unit that links in a second step, the units whose outputs it links.
    links: HashMap<Unit, HashSet<Unit>>,
    /// Units that have finished successfully.
    finished: HashSet<Unit>,
    /// Jobs waiting to link: what each still waits for, and how to release it.
    waiting: HashMap<JobId, (HashSet<Unit>, Sender<bool>)>,
}

impl LinkWaits {
    /// Records that `unit` links the outputs of `links`, in a step of its own.
    pub(super) fn add(&mut self, unit: Unit, links: HashSet<Unit>) {
        self.links.insert(unit, links);
    }

    /// The job `id` of `unit` is ready to link. Releases it at once if everything it links has
    /// finished and returns `false`; otherwise it waits and this returns `true`.
    pub(super) fn wait(&mut self, id: JobId, unit: &Unit, release: Sender<bool>) -> bool {
        let pending: HashSet<Unit> = self
            .links
            .get(unit)
            .into_iter()
            .flatten()
            .filter(|dep| !self.finished.contains(*dep))
            .cloned()
            .collect();
        if pending.is_empty() {
            let _ = release.send(true);
            false
        } else {
            self.waiting.insert(id, (pending, release));
            true
        }
    }

    /// `unit` has finished: releases the jobs that waited for it last, and returns their ids.
    pub(super) fn finished(&mut self, unit: &Unit) -> Vec<JobId> {
        self.finished.insert(unit.clone());
        let ready: Vec<JobId> = self
            .waiting
            .iter_mut()
            .filter_map(|(id, (pending, _))| {
                pending.remove(unit);
                pending.is_empty().then_some(*id)
            })
            .collect();
        for id in &ready {
            let (_, release) = self.waiting.remove(id).unwrap();
            let _ = release.send(true);
        }
        ready
    }

    /// The build failed: tell every waiting job not to link, and return their ids.
    pub(super) fn abort(&mut self) -> Vec<JobId> {
        self.waiting
            .drain()
            .map(|(id, (_, release))| {
                let _ = release.send(false);
                id
            })
            .collect()
    }

    /// How many jobs wait to link.
    pub(super) fn len(&self) -> usize {
        self.waiting.len()
    }
}

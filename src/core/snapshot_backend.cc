#include "src/core/snapshot_backend.h"

#include "src/core/snapshotter.h"

namespace dkv::server {

std::string SnapshotBackend::snapshot_path() const { return snapshotter_->path(); }
const SnapshotStatus& SnapshotBackend::snapshot_status() const { return snapshotter_->status(); }
bool SnapshotBackend::SaveInProgress() const { return snapshotter_->in_progress(); }
std::string SnapshotBackend::Save() { return snapshotter_->Save(); }
std::string SnapshotBackend::StartBackgroundSave() { return snapshotter_->StartBackgroundSave(); }
void SnapshotBackend::ScheduleBackgroundSave() { snapshotter_->ScheduleBackgroundSave(); }
void SnapshotBackend::StopBackgroundSave() { snapshotter_->KillChild(); }
bool SnapshotBackend::HasSaveSchedule() const { return snapshotter_->HasSchedule(); }
bool SnapshotBackend::FinalSaveWanted() const { return snapshotter_->FinalSaveWanted(); }
bool SnapshotBackend::SnapshotWritesRefused() const { return snapshotter_->WritesRefused(); }

}  // namespace dkv::server

// SnapshotBackend: the Backend (src/core/backend.h) of persistence.backend snapshot: the snapshot
// file through the Snapshotter, which the server owns. PostgresPersistence builds on it for the
// snapshot file it keeps beside PostgreSQL. Loop thread only.
#pragma once

#include <string>

#include "src/core/backend.h"

namespace dkv::server {

class Snapshotter;

class SnapshotBackend : public Backend {
 public:
  explicit SnapshotBackend(Snapshotter* snapshotter) : snapshotter_(snapshotter) {}

  bool has_snapshot_file() const override { return true; }
  std::string snapshot_path() const override;
  const SnapshotStatus& snapshot_status() const override;
  bool SaveInProgress() const override;
  std::string Save() override;
  std::string StartBackgroundSave() override;
  void ScheduleBackgroundSave() override;
  void StopBackgroundSave() override;
  bool HasSaveSchedule() const override;
  bool FinalSaveWanted() const override;
  bool SnapshotWritesRefused() const override;

 private:
  Snapshotter* snapshotter_;
};

}  // namespace dkv::server

# The client side of tests/integration/test_sidekiq.py: `ruby client.rb enqueue N` pushes N
# RecordJobs, one FlakyJob and one ScheduledJob (3 s ahead); `ruby client.rb stats` prints
# Sidekiq's own view of the server (Sidekiq::Stats, queues, retry and schedule sets) as JSON.
require "json"
require_relative "worker"
require "sidekiq/api"

case ARGV[0]
when "enqueue"
  n = Integer(ARGV[1])
  n.times { |i| RecordJob.perform_async("job#{i % 5}", i) }
  FlakyJob.perform_async("flaky")
  ScheduledJob.perform_in(3, Time.now.to_f)
  # A bulk push (one LPUSH of many jobs).
  Sidekiq::Client.push_bulk("class" => RecordJob, "args" => [["bulk", 1], ["bulk", 2]])
  puts JSON.generate("enqueued" => n + 4, "scheduled" => Sidekiq::ScheduledSet.new.size)
when "stats"
  stats = Sidekiq::Stats.new
  puts JSON.generate(
    "processed" => stats.processed, "failed" => stats.failed,
    "enqueued" => stats.enqueued, "retry_size" => stats.retry_size,
    "scheduled_size" => stats.scheduled_size, "dead_size" => stats.dead_size,
    "queues" => stats.queues, "processes" => Sidekiq::ProcessSet.new.size
  )
else
  abort "usage: client.rb enqueue N | stats"
end

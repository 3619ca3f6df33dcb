# The jobs of tests/integration/test_sidekiq.py, loaded by both the Sidekiq process
# (`sidekiq -r ./worker.rb`) and the client script (enqueue.rb). Sidekiq reads the server's
# address from REDIS_URL. Each job leaves a trace in dkv that the test reads back.
require "sidekiq"

Sidekiq.configure_server do |config|
  # Poll the schedule and retry sets every second or so, from the start (Sidekiq waits 10-15 s
  # before its first poll unless the interval is set).
  config.options[:poll_interval_average] = 1
end

# A plain job: a list of what ran, a hash of counts, a set of the argument keys.
class RecordJob
  include Sidekiq::Worker
  sidekiq_options queue: "default", retry: 3

  def perform(name, value)
    Sidekiq.redis do |r|
      r.rpush("sk:results", "#{name}=#{value}")
      r.hincrby("sk:counts", name, 1)
      r.sadd("sk:names", name)
    end
  end
end

# Raises on its first run; Sidekiq retries it after a second (its default delay is 15 s or more).
class FlakyJob
  include Sidekiq::Worker
  sidekiq_options queue: "default", retry: 3
  sidekiq_retry_in { |_count, _exception| 1 }

  def perform(key)
    attempts = Sidekiq.redis { |r| r.incr("sk:attempts:#{key}") }
    raise "failing once on purpose" if attempts == 1

    Sidekiq.redis { |r| r.set("sk:done:#{key}", attempts) }
  end
end

# Runs a few seconds after it was enqueued (perform_in: the "schedule" sorted set).
class ScheduledJob
  include Sidekiq::Worker
  sidekiq_options queue: "critical", retry: 0

  def perform(enqueued_at)
    Sidekiq.redis { |r| r.set("sk:scheduled", "#{enqueued_at} #{Time.now.to_f}") }
  end
end

-- 0009: what calwatch answered each delivery, how long it took, and the
-- request's headers.
--
-- answer_status: the HTTP status calwatch answered the sender; NULL when
-- unknown (rows from before 0009, or a failed delivery whose answer is not
-- written yet).
-- latency_us: microseconds from the start of the request to the answer
-- written; NULL until known. It is only known after the row's transaction
-- commits, so the writer's next transaction (or a small one a second
-- later when nothing else comes) writes it, with answer_status, for every
-- row answered since: never a write of its own per delivery.
-- headers: the request's headers other than Calendly-Webhook-Signature
-- (kept in signature_header), as JSON {"h":[[name, value], …], "cut": n}:
-- canonical names, sorted, a repeated header's values in the order
-- received. At most 4 KiB of it is kept for an accepted delivery and 512
-- bytes for a refused request; the headers that do not fit are left out
-- whole and counted in "cut". Authorization, Proxy-Authorization and
-- Cookie keep their name only. NULL for rows from before 0009.
ALTER TABLE deliveries ADD COLUMN answer_status INTEGER;
ALTER TABLE deliveries ADD COLUMN latency_us INTEGER;
ALTER TABLE deliveries ADD COLUMN headers TEXT;

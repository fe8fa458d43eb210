// Behaviour for the reflections activities (loaded on every live page; regions are re-rendered, so listen on document).

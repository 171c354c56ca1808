// The root router: every router named in DESIGN §4.2. Routers with no procedures yet are filled by later steps.
import { router } from "./init";
import { catalogRouter } from "./routers/catalog";
import { computersRouter } from "./routers/computers";
import { enrollmentRouter } from "./routers/enrollment";
import { systemRouter } from "./routers/system";

export const appRouter = router({
  computers: computersRouter,
  smartGroups: router({}),
  catalog: catalogRouter,
  deployments: router({}),
  selfService: router({}),
  enrollment: enrollmentRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
